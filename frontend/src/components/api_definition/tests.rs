//! Rendering of the example and real-world definitions, of malformed and
//! hostile documents, and of the helpers behind them.

use serde_json::{Map, json};

use super::highlight::tokenize;
use super::schema::Ctx;
use super::summary::Summary;
use super::*;

const TRIPS: &str = include_str!("../../../../catalog/example/apis/trips.openapi.yaml");
const TRIP_EVENTS: &str =
    include_str!("../../../../catalog/example/apis/trip-events.asyncapi.yaml");
const RIDER: &str = include_str!("../../../../catalog/example/apis/rider.graphql");
const STATIONS_PROTO: &str =
    include_str!("../../../../catalog/example/apis/station_availability.proto");
/// An example OpenAPI definition of the catalog, by name.
macro_rules! example {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(
                "../../../../catalog/example/apis/",
                $name,
                ".openapi.yaml"
            )),
        )
    };
}

const OPENAPI_EXAMPLES: [(&str, &str); 10] = [
    example!("accounts"),
    example!("bike-telemetry"),
    example!("geofences"),
    example!("invoices"),
    example!("maintenance"),
    example!("notifications"),
    example!("payments"),
    example!("stations"),
    example!("subscriptions"),
    example!("trips"),
];

/// A Swagger 2.0 document in the style of the classic petstore.
const SWAGGER2: &str = r##"
swagger: 2.0
info:
  title: Legacy Docks API
  version: "1.4"
host: docks.example.com
basePath: /v1
schemes: [https]
consumes: [application/json]
produces: [application/json]
tags:
  - name: docks
    description: Dock hardware
paths:
  /docks/{dockId}:
    parameters:
      - name: dockId
        in: path
        type: string
        required: true
    put:
      tags: [docks]
      operationId: replaceDock
      parameters:
        - name: body
          in: body
          required: true
          schema:
            $ref: '#/definitions/Dock'
        - name: dryRun
          in: query
          type: boolean
          default: false
      responses:
        '200':
          description: The stored dock
          schema:
            $ref: '#/definitions/Dock'
        default:
          description: Error
          schema:
            type: array
            items:
              $ref: '#/definitions/Error'
definitions:
  Dock:
    type: object
    required: [id]
    properties:
      id:
        type: string
      state:
        type: string
        enum: [free, occupied, broken]
  Error:
    type: object
    properties:
      message:
        type: string
"##;

/// An AsyncAPI 3.0 document: channels with addresses, operations by `$ref`.
const ASYNCAPI3: &str = r##"
asyncapi: 3.0.0
info:
  title: Dock Signals
  version: 0.3.0
servers:
  broker:
    host: mqtt.example.com:8883
    protocol: mqtt
channels:
  dockState:
    address: docks/{dockId}/state
    messages:
      stateChanged:
        $ref: '#/components/messages/StateChanged'
  commands:
    address: docks/{dockId}/commands
    messages:
      unlock:
        name: unlock
        payload:
          type: object
          properties:
            tripId:
              type: string
operations:
  publishState:
    action: send
    channel:
      $ref: '#/channels/dockState'
    messages:
      - $ref: '#/channels/dockState/messages/stateChanged'
  onCommand:
    action: receive
    channel:
      $ref: '#/channels/commands'
components:
  messages:
    StateChanged:
      name: dock.state-changed
      payload:
        $ref: '#/components/schemas/DockState'
  schemas:
    DockState:
      type: object
      properties:
        free:
          type: boolean
"##;

fn yaml(text: &str) -> Value {
    match serde_norway::from_str::<Value>(text) {
        Ok(value) => value,
        Err(e) => panic!("test YAML does not parse: {e}"),
    }
}

fn render(spec_type: &str, definition: &str, parsed: Option<Value>) -> String {
    let owner = Owner::new();
    let spec_type = spec_type.to_owned();
    let definition = definition.to_owned();
    owner.with(|| {
        view! { <ApiDefinitionView spec_type=spec_type definition=definition parsed=parsed /> }
            .to_html()
    })
}

/// Reads a file from the shared real-world fixtures, when they are present.
fn realworld(path: &str) -> Option<String> {
    let full = format!(
        "{}/../../shared/fixtures/realworld/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    match std::fs::read_to_string(&full) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!("skipping {full}: {e}");
            None
        }
    }
}

fn assert_has(html: &str, needle: &str) {
    assert!(
        html.contains(needle),
        "expected {needle:?} in the HTML:\n{html}"
    );
}

/// [`assert_has`] for each of `needles`.
fn assert_all(html: &str, needles: &[&str]) {
    for needle in needles {
        assert_has(html, needle);
    }
}

#[test]
fn openapi_trips_shows_info_operations_and_schemas() {
    let html = render("openapi", TRIPS, Some(yaml(TRIPS)));
    assert_all(
        &html,
        &[
            "Spokewise Trips API",
            "Version 3.1.0",
            "OpenAPI 3.0.3",
            "https://api.spokewise.example/trips/v3",
            // Operations, grouped under the tag.
            ">trips</h3>",
            r#"<span class="apidef-method apidef-method-get">GET</span>"#,
            r#"<span class="apidef-method apidef-method-post">POST</span>"#,
            "/trips/{tripId}/end",
            "Unlock a bike and start a trip",
            "<code>listTrips</code>",
            // Parameters, including the path-level `$ref` one.
            "<code>Idempotency-Key</code>",
            "<code>tripId</code>",
            "Opaque cursor from a previous page",
            // Request body and responses with schema links.
            "Request body (required)",
            r##"<a href="#schema-StartTrip"><code>StartTrip</code></a>"##,
            "application/problem+json",
            "No such trip", // from #/components/responses/NotFound
            "Default: 20",
            // Schemas with anchors, arrays, enums, formats.
            r#"id="schema-TripPage""#,
            r#"id="schema-Trip""#,
            r##"array of <a href="#schema-Trip"><code>Trip</code></a>"##,
            "<code>support-override</code>",
            "string (date-time) | null",
            "Amount in minor units (cents)",
        ],
    );
    assert!(!html.contains("(missing)"), "every local $ref resolves");
    assert!(
        html.trim_end().ends_with("</details></div>"),
        "raw definition comes last"
    );
}

#[test]
fn every_example_openapi_definition_renders() {
    for (name, text) in OPENAPI_EXAMPLES {
        let doc = yaml(text);
        let title = doc
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let html = render("openapi", text, Some(doc));
        assert!(!title.is_empty(), "{name} has a title");
        assert_all(
            &html,
            &[title.as_str(), "apidef-method", "<h3>Schemas</h3>"],
        );
        assert!(!html.contains("could not be read"), "{name} renders");
        assert!(
            !html.contains("(missing)"),
            "{name}: every local $ref resolves"
        );
    }
}

#[test]
fn swagger2_uses_host_definitions_and_body_parameter() {
    let html = render("openapi", SWAGGER2, Some(yaml(SWAGGER2)));
    assert_all(
        &html,
        &[
            "Swagger 2", // `swagger: 2.0` arrives as a number
            "https://docks.example.com/v1",
            "<code>dockId</code>",
            "<code>dryRun</code>",
            "Default: false",
            "Request body (required)",
            r##"<a href="#schema-Dock"><code>Dock</code></a>"##,
            r##"array of <a href="#schema-Error"><code>Error</code></a>"##,
            r#"id="schema-Dock""#,
            "<code>occupied</code>",
            "Dock hardware",
        ],
    );
    // The body parameter is not also listed as a parameter.
    assert!(!html.contains("<code>body</code>"));
}

#[test]
fn swagger2_realworld_nexus_renders() {
    let Some(text) = realworld("redhat-developer__rhdh/catalog-entities/apis/nexus-swagger.json")
    else {
        return;
    };
    let doc: Value = match serde_json::from_str(&text) {
        Ok(doc) => doc,
        Err(e) => panic!("nexus-swagger.json parses: {e}"),
    };
    let html = render("openapi", &text, Some(doc));
    assert_all(
        &html,
        &[
            "Nexus Repository Manager REST API",
            "/service/rest/",
            "Security management",
            "href=\"#schema-",
        ],
    );
    assert!(!html.contains("could not be read"));
}

#[test]
fn asyncapi2_trip_events_lists_channels_and_messages() {
    let html = render("asyncapi", TRIP_EVENTS, Some(yaml(TRIP_EVENTS)));
    assert_all(
        &html,
        &[
            "Spokewise Trip Events",
            "AsyncAPI 2.6.0",
            "kafka-1.spokewise.internal:9093",
            "kafka-secure",
            "<h3>Channels</h3>",
            "<code>trip-events</code>",
            "Subscribe",
            "<code>onTripEvent</code>",
            "<code>trip.started</code>",
            "<code>trip.cancelled</code>",
            "application/json",
            r##"<a href="#schema-TripStartedPayload"><code>TripStartedPayload</code></a>"##,
            r#"id="schema-EventHeaders""#,
            "Set when the ride is billed to an employer",
        ],
    );
}

#[test]
fn asyncapi2_realworld_blueapi_renders() {
    let Some(text) = realworld("DiamondLightSource__blueapi/docs/reference/asyncapi.yaml") else {
        return;
    };
    let html = render("asyncapi", &text, Some(yaml(&text)));
    assert_all(
        &html,
        &[
            "Bluesky Worker Service",
            "<code>public.worker.event</code>",
            "<code>dataEvent</code>",
        ],
    );
    assert!(!html.contains("could not be read"));
}

#[test]
fn asyncapi3_groups_operations_by_channel() {
    let html = render("asyncapi", ASYNCAPI3, Some(yaml(ASYNCAPI3)));
    assert_all(
        &html,
        &[
            "AsyncAPI 3.0.0",
            "mqtt.example.com:8883",
            "<code>docks/{dockId}/state</code>",
            r#"<span class="apidef-action apidef-action-send">Send</span>"#,
            r#"<span class="apidef-action apidef-action-receive">Receive</span>"#,
            "<code>publishState</code>",
            "<code>dock.state-changed</code>",
            "<code>unlock</code>",
            r##"<a href="#schema-DockState"><code>DockState</code></a>"##,
        ],
    );
    assert!(!html.contains("without a known channel"));
    // The send operation sits in the dockState channel, before commands.
    let state = html.find("<code>dockState</code>").unwrap_or(usize::MAX);
    let send = html.find("<code>publishState</code>").unwrap_or(0);
    let commands = html.find("<code>commands</code>").unwrap_or(0);
    assert!(
        state < send && send < commands,
        "operations sit under their channel"
    );
}

#[test]
fn graphql_is_highlighted() {
    let html = render("graphql", RIDER, None);
    assert_all(
        &html,
        &[
            "<h3>GraphQL schema</h3>",
            r#"<span class="apidef-tok-comment"># Rider BFF schema"#,
            r#"<span class="apidef-tok-keyword">type</span> <span class="apidef-tok-type">Station</span>"#,
            r#"<span class="apidef-tok-type">Int</span>!"#,
            r#"<span class="apidef-tok-type">ID</span>"#,
            r#"<span class="apidef-tok-number">20</span>"#,
        ],
    );
    // Enum values stay plain.
    assert!(!html.contains(r#"<span class="apidef-tok-type">BER</span>"#));
    assert_has(&html, "Raw definition");
}

#[test]
fn proto_is_highlighted() {
    let html = render("grpc", STATIONS_PROTO, None);
    assert_all(
        &html,
        &[
            "<h3>Protocol Buffers definition</h3>",
            r#"<span class="apidef-tok-keyword">service</span>"#,
            r#"<span class="apidef-tok-keyword">rpc</span>"#,
            r#"<span class="apidef-tok-type">int32</span>"#,
            r#"<span class="apidef-tok-type">google.protobuf.Timestamp</span>"#,
            r#"<span class="apidef-tok-string">"proto3"</span>"#,
            r#"<span class="apidef-tok-comment">// Current availability of one station.</span>"#,
        ],
    );
}

#[test]
fn tokenize_round_trips_the_source() {
    for (text, lang) in [
        (RIDER, Lang::GraphQl),
        (STATIONS_PROTO, Lang::Proto),
        ("\"unterminated\n/* open comment", Lang::Proto),
        ("\"\"\"block \\\"\"\" still\"\"\" type Ä ü 𝔸", Lang::GraphQl),
        ("", Lang::GraphQl),
        ("#", Lang::GraphQl),
        ("'\\", Lang::Proto),
    ] {
        let joined: String = tokenize(text, lang).into_iter().map(|(_, t)| t).collect();
        assert_eq!(joined, text);
    }
}

#[test]
fn untrusted_text_is_escaped() {
    let evil = "<script>alert(1)</script>";
    let doc = json!({
        "openapi": "3.0.0",
        "info": { "title": evil, "description": format!("Hello {evil}") },
        "paths": { "/x": { "get": {
            "summary": evil,
            "parameters": [{ "name": evil, "in": "query", "schema": { "enum": [evil] } }],
            "responses": { "200": { "description": evil } }
        } } },
        "components": { "schemas": { evil: { "type": "object", "properties": { evil: { "type": "string" } } } } }
    });
    let html = render("openapi", "openapi: 3.0.0", Some(doc));
    assert!(!html.contains("<script"), "no raw script tag:\n{html}");
    assert_has(&html, "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert_has(&html, r#"id="schema-_script_alert_1___script_""#);

    let source = format!("type Query {{ me: String }} # {evil}\n\"{evil}\"");
    for spec_type in ["graphql", "grpc", "other", "soap", "openapi", "asyncapi"] {
        let html = render(spec_type, &source, None);
        assert!(!html.contains("<script"), "{spec_type}: no raw script tag");
        assert_has(&html, "&lt;script&gt;");
    }
}

#[test]
fn garbage_never_panics() {
    let garbage = [
        json!(42),
        json!("openapi"),
        json!(null),
        json!([1, 2, 3]),
        json!({}),
        json!({ "paths": 5 }),
        json!({ "openapi": 3, "info": 7, "servers": { "a": 1 }, "tags": "x",
            "paths": { "/a": 5, "/b": { "get": 5, "parameters": 3,
                "post": { "tags": [1, null], "parameters": [7, null, { "$ref": 9 }],
                    "requestBody": [], "responses": [1] },
                "put": { "responses": { "200": 5, "201": { "content": 4 },
                    "202": { "content": { "a/b": 3, "c/d": { "schema": 7 } } } } } } },
            "components": { "schemas": { "A": 3, "B": [], "C": { "properties": 4, "required": 5, "enum": 6 },
                "D": { "type": ["string", 3], "items": 5, "allOf": 8 } } } }),
        json!({ "swagger": "2.0", "host": 5, "basePath": ["x"], "definitions": 7,
            "paths": { "/": { "get": { "parameters": [{ "in": "body" }], "responses": { "200": { "schema": "x" } } } } } }),
        json!({ "asyncapi": "2.0.0", "channels": { "a": 5, "b": { "publish": 3, "subscribe": { "message": 4 } },
            "c": { "subscribe": { "message": { "oneOf": [1, { "$ref": "#/nope" }, { "payload": 3 }] } } } },
            "servers": ["x"] }),
        json!({ "asyncapi": "3.0.0", "channels": { "a": { "messages": 5, "address": null } },
            "operations": { "o": { "action": 5, "channel": 3, "messages": [4] },
                "p": { "channel": { "$ref": "#/channels/zz" } } } }),
        json!({ "asyncapi": 3 }),
    ];
    for doc in garbage {
        for spec_type in [
            "openapi", "asyncapi", "other", "graphql", "grpc", "weird", "",
        ] {
            let html = render(spec_type, "x: 1", Some(doc.clone()));
            assert_has(&html, "Raw definition");
        }
    }
    let html = render("openapi", "x: 1", Some(json!(42)));
    assert_has(
        &html,
        "This definition could not be read as openapi: the document is a number",
    );
    let html = render("openapi", "x: 1", Some(json!({ "paths": 5 })));
    assert_has(&html, "“paths” should be a mapping but is a number.");
    let html = render("openapi", "{{{ not yaml", None);
    assert_has(
        &html,
        "This definition could not be read as openapi: it is not valid YAML or JSON.",
    );
    assert_has(&html, r#"<details open class="apidef-raw">"#);
    let html = render("asyncapi", "", None);
    assert_has(&html, "definition is empty");
}

#[test]
fn unknown_types_get_a_notice_and_the_source() {
    let html = render("soap", "<definitions/>", None);
    assert_has(&html, "This definition could not be read as soap:");
    assert_has(&html, "&lt;definitions/&gt;");
    // `other` is a normal Backstage type: source without a notice.
    let html = render("other", "anything", None);
    assert!(!html.contains("could not be read"));
    assert_has(&html, "<h3>Definition source</h3>");
    // A document that says it is OpenAPI is rendered as such.
    let html = render("other", TRIPS, Some(yaml(TRIPS)));
    assert_has(&html, "Spokewise Trips API");
    assert_has(&html, r#"id="schema-Trip""#);
}

#[test]
fn ref_cycles_terminate() {
    let doc = json!({
        "openapi": "3.0.0",
        "paths": {
            "/loop": {
                "$ref": "#/paths/~1loop"
            },
            "/x": {
                "parameters": [{ "$ref": "#/components/parameters/P" }],
                "get": {
                    "requestBody": { "$ref": "#/components/requestBodies/R" },
                    "responses": {
                        "200": { "$ref": "#/components/responses/Self" },
                        "201": { "description": "ok", "content": { "application/json": {
                            "schema": { "$ref": "#/components/schemas/A" } } } },
                        "202": { "description": "deep", "content": { "application/json": {
                            "schema": { "$ref": "#/components/schemas/Deep/properties/self" } } } }
                    }
                }
            }
        },
        "components": {
            "parameters": { "P": { "$ref": "#/components/parameters/Q" }, "Q": { "$ref": "#/components/parameters/P" } },
            "requestBodies": { "R": { "$ref": "#/components/requestBodies/R" } },
            "responses": { "Self": { "$ref": "#/components/responses/Self" } },
            "schemas": {
                "A": { "$ref": "#/components/schemas/B" },
                "B": { "$ref": "#/components/schemas/A" },
                "C": { "allOf": [{ "$ref": "#/components/schemas/C" }, { "properties": { "c": { "type": "string" } } }] },
                "D": { "allOf": [{ "$ref": "#/components/schemas/E" }] },
                "E": { "allOf": [{ "$ref": "#/components/schemas/D" }], "properties": { "e": { "type": "integer" } } },
                "Deep": { "properties": { "self": { "$ref": "#/components/schemas/Deep/properties/self" },
                    "tree": { "type": "array", "items": { "$ref": "#/components/schemas/Deep" } } } }
            }
        }
    });
    let html = render("openapi", "cyclic", Some(doc));
    assert_all(
        &html,
        &[
            "circular reference",
            "(circular)",
            r#"id="schema-C""#,
            "<code>c</code>",
            "<code>e</code>",
            r##"array of <a href="#schema-Deep"><code>Deep</code></a>"##,
        ],
    );
}

#[test]
fn huge_documents_are_cut_with_a_note() {
    let mut paths = Map::new();
    for i in 0..600 {
        paths.insert(
            format!("/items/{i}"),
            json!({ "get": { "responses": { "200": { "description": "ok" } } } }),
        );
    }
    let doc = json!({ "openapi": "3.1.0", "paths": paths });
    let html = render("openapi", "big", Some(doc));
    assert_all(
        &html,
        &[
            "Showing the first 500 of 600 operations",
            "Operations (600)",
            r#"id="apidef-op-500""#,
        ],
    );
    assert!(!html.contains(r#"id="apidef-op-501""#));
}

#[test]
fn summaries_describe_types() {
    let doc = json!({ "components": { "schemas": { "X": {} } } });
    let ctx = Ctx::new(
        &doc,
        "#/components/schemas/",
        doc.pointer("/components/schemas")
            .and_then(Value::as_object),
    );
    let plain = |schema: Value| Summary::of(&ctx, &schema).plain();
    assert_eq!(
        plain(json!({ "type": "string", "format": "uuid" })),
        "string (uuid)"
    );
    assert_eq!(
        plain(json!({ "type": "array", "items": { "$ref": "#/components/schemas/X" } })),
        "array of X"
    );
    assert_eq!(
        plain(json!({ "type": "object", "additionalProperties": { "type": "integer" } })),
        "map of integer"
    );
    assert_eq!(
        plain(json!({ "type": ["string", "null"] })),
        "string | null"
    );
    assert_eq!(
        plain(json!({ "oneOf": [{ "type": "string" }, { "$ref": "#/components/schemas/Y" }] })),
        "one of string | Y (missing)"
    );
    assert_eq!(plain(json!({ "$ref": "other.yaml#/Z" })), "other.yaml#/Z");
    assert_eq!(plain(json!(7)), "invalid schema");
    let mut deep = json!({ "type": "string" });
    for _ in 0..20 {
        deep = json!({ "type": "array", "items": deep });
    }
    assert!(plain(deep).ends_with('…'));
}
