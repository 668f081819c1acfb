//! `sitemap.xml`: a `<urlset>` gives one `GET` per `<url><loc>`. A
//! `<sitemapindex>` only names other sitemaps: import never fetches
//! anything, so each child is reported ("pass that sitemap as a file") and
//! the children are imported when given as files (gzip welcome).
//!
//! Read as a stream of XML events (quick-xml): memory is bounded by one
//! `<loc>` (at most [`MAX_LOC`] bytes; a longer one is skipped).

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::events::Event;

use super::input::LineCounter;
use super::record::{clean_target, split_absolute, Record};

pub const MAX_LOC: usize = 16 * 1024;

/// What one `<loc>` turned into.
pub enum Item {
    Record(Record<'static>),
    /// A `<sitemap><loc>` of an index: the child sitemap's URL.
    Child(String),
    Skip(String),
}

/// Walk the file, calling `sink(line, item)`. `Err` ends the file: (line,
/// message).
pub fn read(
    reader: Box<dyn BufRead>,
    sink: &mut dyn FnMut(u64, Item),
) -> Result<(), (u64, String)> {
    let mut xml = quick_xml::Reader::from_reader(LineCounter::new(reader));
    let mut buf = Vec::new();
    let mut in_loc = false;
    let mut parent: Option<&'static str> = None;
    let mut loc = String::new();
    let mut too_long = false;
    let mut root: Option<String> = None;
    loop {
        let ev = xml.read_event_into(&mut buf);
        let line = xml.get_ref().lines;
        match ev {
            Err(e) => {
                return Err((
                    line,
                    format!("not valid XML ({e}); the rest of this file is skipped"),
                ))
            }
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                let name = e.local_name();
                let name = name.as_ref();
                if root.is_none() {
                    let r = String::from_utf8_lossy(name).into_owned();
                    if r != "urlset" && r != "sitemapindex" {
                        return Err((
                            line,
                            format!(
                                "the root element is <{}>, not <urlset> or <sitemapindex>",
                                r.chars().take(40).collect::<String>()
                            ),
                        ));
                    }
                    root = Some(r);
                } else if name == b"url" {
                    parent = Some("url");
                } else if name == b"sitemap" {
                    parent = Some("sitemap");
                } else if name == b"loc" && parent.is_some() {
                    in_loc = true;
                    loc.clear();
                    too_long = false;
                }
            }
            Ok(Event::End(e)) => {
                let name = e.local_name();
                match name.as_ref() {
                    b"loc" if in_loc => {
                        in_loc = false;
                        let item = finish(parent, loc.trim(), too_long);
                        sink(line, item);
                    }
                    b"url" | b"sitemap" => parent = None,
                    _ => {}
                }
            }
            Ok(Event::Text(t)) if in_loc => match t.xml10_content() {
                Ok(s) => push(&mut loc, &s, &mut too_long),
                Err(_) => too_long = true,
            },
            Ok(Event::CData(t)) if in_loc => {
                push(&mut loc, &String::from_utf8_lossy(&t), &mut too_long)
            }
            Ok(Event::GeneralRef(r)) if in_loc => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => r
                        .decode()
                        .ok()
                        .and_then(|n| quick_xml::escape::resolve_predefined_entity(&n))
                        .map(str::to_string),
                };
                match resolved {
                    Some(s) => push(&mut loc, &s, &mut too_long),
                    None => too_long = true,
                }
            }
            Ok(_) => {}
        }
        buf.clear();
    }
    if root.is_none() {
        return Err((
            xml.get_ref().lines,
            "no <urlset> or <sitemapindex>: not a sitemap".into(),
        ));
    }
    Ok(())
}

fn push(loc: &mut String, s: &str, too_long: &mut bool) {
    if loc.len() + s.len() > MAX_LOC {
        *too_long = true;
    } else {
        loc.push_str(s);
    }
}

fn finish(parent: Option<&str>, loc: &str, bad: bool) -> Item {
    if bad {
        return Item::Skip(format!(
            "<loc> longer than {MAX_LOC} bytes or with an unknown entity"
        ));
    }
    match (parent, split_absolute(loc)) {
        (Some("sitemap"), Some(_)) => Item::Child(loc.to_string()),
        (Some(_), Some((scheme, host, target))) => {
            let mut r = Record::new("GET", Cow::Owned(clean_target(target).into_owned()));
            r.scheme = Some(scheme);
            r.host = Some(Cow::Owned(host.to_string()));
            Item::Record(r)
        }
        _ => Item::Skip("<loc> is not an absolute http(s) URL".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(xml: &str) -> (Vec<String>, Result<(), (u64, String)>) {
        let mut out = Vec::new();
        let res = read(
            Box::new(std::io::Cursor::new(xml.as_bytes().to_vec())),
            &mut |line, item| {
                out.push(match item {
                    Item::Record(r) => {
                        format!("{line}: {} {}", r.host.as_deref().unwrap_or("-"), r.target)
                    }
                    Item::Child(c) => format!("{line}: child {c}"),
                    Item::Skip(s) => format!("{line}: skip {s}"),
                })
            },
        );
        (out, res)
    }

    #[test]
    fn urlset_with_entities_and_cdata() {
        let (out, res) = run(r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://www.example.com/a?x=1&amp;y=2</loc><lastmod>2025-01-01</lastmod></url>
  <url><loc><![CDATA[https://www.example.com/b]]></loc></url>
  <url><loc>not a url</loc></url>
</urlset>"#);
        assert!(res.is_ok(), "{res:?}");
        assert_eq!(
            out,
            [
                "3: www.example.com /a?x=1&y=2",
                "4: www.example.com /b",
                "5: skip <loc> is not an absolute http(s) URL",
            ]
        );
    }

    #[test]
    fn index_children_are_named_not_fetched() {
        let (out, res) = run("<sitemapindex><sitemap><loc>https://www.example.com/s1.xml.gz</loc></sitemap></sitemapindex>");
        assert!(res.is_ok());
        assert_eq!(out, ["1: child https://www.example.com/s1.xml.gz"]);
    }

    #[test]
    fn broken_xml_and_wrong_root() {
        let (out, res) =
            run("<urlset>\n<url><loc>https://h/a</loc></url>\n<url><loc>https://h/b</lo></url>");
        assert_eq!(out.len(), 1);
        assert!(res.unwrap_err().1.contains("not valid XML"));
        let (_, res) = run("<html><body/></html>");
        assert!(res.unwrap_err().1.contains("<html>"));
    }
}
