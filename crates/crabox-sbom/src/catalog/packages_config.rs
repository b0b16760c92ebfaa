//! `NuGet`'s legacy `packages.config` (.NET Framework projects): one `<package id version
//! targetFramework developmentDependency/>` per installed package, every one installed for the
//! project (no edges are recorded). `developmentDependency="true"` is development scope.

use quick_xml::events::Event;

use super::{Context, Parsed};
use crate::encoding::LineIndex;
use crate::error::SbomError;
use crate::model::{Ecosystem, Package, Scope};

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let index = LineIndex::new(text);
    let mut reader = quick_xml::Reader::from_str(text);
    let mut parsed = Parsed::new();
    parsed.graph_complete = false;
    let mut root_seen = false;
    let mut depth = 0usize;
    loop {
        let at = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let event = reader.read_event().map_err(|e| {
            let line = index.line(usize::try_from(reader.error_position()).unwrap_or(at));
            context.parse_error(line, format!("not a valid packages.config (XML): {e}"))
        })?;
        let (element, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = element.local_name();
        if depth == 0 {
            if name.as_ref() != b"packages" {
                return Err(context.parse_error(
                    index.line(at),
                    "expected a `<packages>` element (a NuGet packages.config)",
                ));
            }
            root_seen = true;
        } else if depth == 1 && name.as_ref() == b"package" {
            let line = index.line(at);
            let attribute = |key: &[u8]| {
                element
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == key)
                    .and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(std::borrow::Cow::into_owned)
                    })
            };
            match (attribute(b"id"), attribute(b"version")) {
                (Some(id), Some(version)) if !id.is_empty() && !version.is_empty() => {
                    let mut package = Package::new(Ecosystem::NuGet, id, version);
                    package.line = line;
                    if attribute(b"developmentDependency").as_deref() == Some("true") {
                        package.scope = Scope::Dev;
                    }
                    parsed.direct.push(parsed.packages.len());
                    parsed.packages.push(package);
                }
                _ => {
                    parsed
                        .skip(context.diagnostic(line, "a `<package>` without `id` or `version`"));
                }
            }
        }
        if !empty {
            depth += 1;
        }
    }
    if !root_seen {
        return Err(context.parse_error(
            1,
            "expected a `<packages>` element (a NuGet packages.config)",
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_with_their_scope_and_line() {
        let text = r#"<?xml version="1.0" encoding="utf-8"?>
<packages>
  <package id="Newtonsoft.Json" version="13.0.1" targetFramework="net48" />
  <package id="StyleCop.Analyzers" version="1.1.118" targetFramework="net48" developmentDependency="true" />
  <package id="broken" />
</packages>"#;
        let parsed = parse(text, &Context::default()).unwrap();
        assert_eq!(
            parsed.names(),
            ["Newtonsoft.Json@13.0.1", "StyleCop.Analyzers@1.1.118"]
        );
        assert_eq!(parsed.packages[0].line, 3);
        assert_eq!(parsed.packages[1].scope, Scope::Dev);
        assert!(!parsed.complete);
        assert_eq!(parsed.diagnostics[0].line, 5);
    }

    #[test]
    fn bad_input_is_an_error_with_its_line() {
        let err = parse("<packages>\n<package></pkg>\n", &Context::default()).unwrap_err();
        assert!(err.to_string().contains(":2"), "{err}");
        let err = parse("<configuration/>", &Context::default()).unwrap_err();
        assert!(err.to_string().contains("<packages>"), "{err}");
    }
}
