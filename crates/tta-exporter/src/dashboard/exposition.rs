//! Reads back the Prometheus text exposition our own recorder renders: the
//! dashboard's history is sampled from exactly what `/metrics` serves, so
//! it costs the executions nothing.

/// One sample line: `name{label="value",...} value`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    pub(crate) name: String,
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) value: f64,
}

impl Sample {
    pub(crate) fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Every sample of `text`; lines that are comments, blank or malformed are
/// skipped.
pub(crate) fn parse(text: &str) -> Vec<Sample> {
    text.lines().filter_map(sample).collect()
}

fn sample(line: &str) -> Option<Sample> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (name, labels, rest) = match line.find(['{', ' ']) {
        Some(at) if line.as_bytes()[at] == b'{' => {
            let (labels, rest) = labels(&line[at + 1..])?;
            (&line[..at], labels, rest)
        }
        Some(at) => (&line[..at], Vec::new(), &line[at..]),
        None => return None,
    };
    let value = rest.split_whitespace().next()?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other.parse().ok()?,
    };
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// Parses `key="value",...}` and returns the labels and what follows `}`.
fn labels(mut text: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    loop {
        text = text.trim_start_matches([',', ' ']);
        if let Some(rest) = text.strip_prefix('}') {
            return Some((labels, rest));
        }
        let (key, rest) = text.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next()? {
                (at, '"') => break at,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                (_, c) => value.push(c),
            }
        };
        labels.push((key.trim().to_owned(), value));
        text = &rest[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_labels_values_and_escapes() {
        let text = "# HELP x help\n# TYPE x counter\n\
            x_total 3\n\
            y{a=\"1\",b=\"q\\\"uo\\\\te\\nd\"} 2.5\n\
            h_bucket{le=\"+Inf\"} 7\n\
            g{k=\"v\"} +Inf\n\
            \n\
            broken{a=\"1\" 2\n";
        let samples = parse(text);
        assert_eq!(samples.len(), 4, "{samples:?}");
        assert_eq!(samples[0].name, "x_total");
        assert_eq!(samples[0].value, 3.0);
        assert_eq!(samples[1].label("b"), Some("q\"uo\\te\nd"));
        assert_eq!(samples[1].value, 2.5);
        assert_eq!(samples[2].label("le"), Some("+Inf"));
        assert!(samples[3].value.is_infinite());
    }

    #[test]
    fn reads_what_the_recorder_renders() {
        let names = "<script>alert(1)</script>, \"quoted\" \\ back";
        let text = format!(
            "tta_primitive_executions_total{{primitive_name=\"{}\",status=\"success\"}} 12\n",
            names.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let samples = parse(&text);
        assert_eq!(samples[0].label("primitive_name"), Some(names));
        assert_eq!(samples[0].label("status"), Some("success"));
    }
}
