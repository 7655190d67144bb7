//! A synthetic catalog with the shape of a large company's: teams, systems
//! and domains, and files of three documents (a service, the API it provides
//! and the database it depends on) wired to each other by realistic relations.

use std::fmt::Write;
use std::path::Path;

/// Entities per generated service file.
pub const DOCS_PER_FILE: usize = 3;

/// Small deterministic generator (xorshift), so every run builds the same catalog.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }
}

/// Shape of the generated catalog, derived from the number of entities.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Files of three entities each.
    pub service_files: usize,
    /// Groups that own things.
    pub teams: usize,
    /// Systems the services belong to.
    pub systems: usize,
    /// Domains the systems belong to.
    pub domains: usize,
}

impl Shape {
    /// A catalog of about `entities` entities.
    pub fn for_entities(entities: usize) -> Self {
        let service_files = (entities / DOCS_PER_FILE).max(1);
        Self {
            service_files,
            teams: (service_files / 40).max(2),
            systems: (service_files / 15).max(2),
            domains: (service_files / 400).max(1),
        }
    }
}

/// The text of service file `i`: a Component, its API and its database.
pub fn service_file(i: usize, shape: Shape) -> String {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let team = rng.below(shape.teams);
    let system = rng.below(shape.systems);
    let consumed_a = rng.below(shape.service_files);
    let consumed_b = rng.below(shape.service_files);
    let lifecycle = ["production", "experimental", "deprecated"][rng.below(3)];
    let language = ["go", "rust", "java", "python", "typescript"][rng.below(5)];
    let mut s = String::with_capacity(2048);
    let _ = write!(
        s,
        r#"apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: service-{i}
  title: Service {i}
  description: Handles part {i} of the order flow and publishes its events.
  tags: [{language}, grpc, tier-{tier}]
  annotations:
    github.com/project-slug: example/service-{i}
    backstage.io/techdocs-ref: dir:.
    backstage.io/kubernetes-id: service-{i}
  links:
    - url: https://dashboards.example.com/d/service-{i}
      title: Dashboard
      icon: dashboard
spec:
  type: service
  lifecycle: {lifecycle}
  owner: team-{team}
  system: system-{system}
  providesApis:
    - service-{i}-api
  consumesApis:
    - service-{consumed_a}-api
    - service-{consumed_b}-api
  dependsOn:
    - resource:service-{i}-db
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: service-{i}-api
  description: Public API of service {i}.
  tags: [rest]
spec:
  type: openapi
  lifecycle: {lifecycle}
  owner: team-{team}
  system: system-{system}
  definition: |
    openapi: 3.0.3
    info:
      title: Service {i}
      version: 1.0.0
    paths:
      /items/{{id}}:
        get:
          summary: Read an item
          responses:
            "200":
              description: The item
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: service-{i}-db
  description: PostgreSQL database of service {i}.
spec:
  type: database
  owner: team-{team}
  system: system-{system}
"#,
        tier = rng.below(3) + 1,
    );
    s
}

/// The organisation file: teams, systems and domains.
pub fn org_file(shape: Shape) -> String {
    let mut s = String::new();
    for d in 0..shape.domains {
        let _ = write!(s, "---\napiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata:\n  name: domain-{d}\nspec:\n  owner: team-{}\n", d % shape.teams);
    }
    for y in 0..shape.systems {
        let _ = write!(
            s,
            "---\napiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: system-{y}\nspec:\n  owner: team-{}\n  domain: domain-{}\n",
            y % shape.teams,
            y % shape.domains
        );
    }
    for t in 0..shape.teams {
        let _ = write!(
            s,
            "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-{t}\nspec:\n  type: team\n  children: []\n"
        );
    }
    s
}

/// Writes the catalog under `dir`: `org.yaml`, `services/NNN/service-N.yaml`
/// and a root `catalog-info.yaml` Location pointing at them.
pub fn write_catalog(dir: &Path, shape: Shape) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("services"))?;
    std::fs::write(dir.join("org.yaml"), org_file(shape))?;
    for i in 0..shape.service_files {
        let bucket = dir.join("services").join(format!("{:03}", i / 1000));
        if i % 1000 == 0 {
            std::fs::create_dir_all(&bucket)?;
        }
        std::fs::write(bucket.join(format!("service-{i}.yaml")), service_file(i, shape))?;
    }
    std::fs::write(
        dir.join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: generated\nspec:\n  targets:\n    - ./org.yaml\n    - ./services/*/*.yaml\n",
    )
}
