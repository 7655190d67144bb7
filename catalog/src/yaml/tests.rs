use super::*;

fn docs(text: &str) -> Vec<Document> {
    parse_documents(text)
}

#[test]
fn splits_documents_and_keeps_lines() {
    let d = docs("# head\n---\na: 1\n---\nb: [x, y]\n---\n");
    assert_eq!(d.len(), 3);
    assert_eq!(d[0].line, 1);
    let a = d[0].root.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(a.get("a").unwrap().value, Value::Int(1));
    assert_eq!(a.get("a").unwrap().pos, Pos::new(3, 4));
    let b = d[1].root.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(b.get("b").unwrap().as_seq().unwrap()[1].pos, Pos::new(5, 8));
    assert_eq!(d[2].root, Ok(None));
}

#[test]
fn empty_and_comment_only_streams() {
    assert!(docs("").is_empty());
    let d = docs("# only a comment\n");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].root, Ok(None));
}

#[test]
fn a_broken_document_does_not_hide_the_next() {
    let d = docs("a: [1\n---\nb: 2\n");
    assert!(d[0].root.is_err());
    assert!(d[1].root.as_ref().unwrap().is_some());
}

#[test]
fn duplicate_keys_are_errors_at_the_second_key() {
    let d = docs("kind: A\nname: x\nkind: B\n");
    let err = d[0].root.as_ref().unwrap_err();
    assert_eq!(err.pos, Pos::new(3, 1));
    assert!(err.message.contains("duplicate key `kind`"));
}

#[test]
fn core_schema_scalars() {
    let d = docs("a: yes\nb: true\nc: 010\nd: 1.5\ne: ~\nf: '1'\ng: 0x1f\nh: 1e3\ni: .5\nj: 1.2.3\n");
    let m = d[0].root.as_ref().unwrap().as_ref().unwrap();
    let v = |k: &str| m.get(k).unwrap().value.clone();
    assert_eq!(v("a"), Value::Str("yes".into()));
    assert_eq!(v("b"), Value::Bool(true));
    assert_eq!(v("c"), Value::Int(10));
    assert_eq!(v("d"), Value::Float(1.5));
    assert_eq!(v("e"), Value::Null);
    assert_eq!(v("f"), Value::Str("1".into()));
    assert_eq!(v("g"), Value::Int(31));
    assert_eq!(v("h"), Value::Float(1000.0));
    assert_eq!(v("i"), Value::Float(0.5));
    assert_eq!(v("j"), Value::Str("1.2.3".into()));
}

#[test]
fn anchors_and_block_scalars() {
    let d = docs("base: &b {x: 1}\ncopy: *b\ntext: |\n  line one\n  line two\n");
    let m = d[0].root.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(m.get("copy").unwrap().get("x").unwrap().value, Value::Int(1));
    assert_eq!(m.get("text").unwrap().as_str(), Some("line one\nline two\n"));
}

#[test]
fn byte_order_mark_and_crlf() {
    let d = docs("\u{feff}a: 1\r\nb: two\r\n");
    let m = d[0].root.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(m.get("b").unwrap().as_str(), Some("two"));
}
