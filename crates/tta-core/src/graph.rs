//! [`Graph`]: a workflow's composition tree, read without running it, as
//! JSON, Mermaid or Graphviz DOT.

use std::fmt::{self, Write};

use serde_json::{Value, json};

/// One node of a workflow's composition tree: a primitive's name and kind,
/// and the primitives it runs, in order.
///
/// [`PrimitiveExt::graph`](crate::PrimitiveExt::graph) builds it. Its nodes
/// and edges are the spans and parent links a run exports, for a run that
/// takes every path once; a node also lists what a run may not take (a
/// router's other routes, a fallback's alternatives).
///
/// ```
/// use tta_core::{from_fn, PrimitiveExt};
/// use tta_core::resilience::RetryPolicy;
///
/// let fetch = from_fn("fetch", |q: String, _ctx| async move { Ok(q) });
/// let answer = from_fn("answer", |q: String, _ctx| async move { Ok(q.len()) });
/// let workflow = fetch.retry(RetryPolicy::default()) >> answer;
///
/// let graph = workflow.graph();
/// assert_eq!(graph.name(), "retry(fetch) >> answer");
/// assert_eq!(graph.children()[0].children()[0].name(), "fetch");
/// assert!(graph.to_mermaid().contains("-->"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    name: String,
    kind: String,
    children: Vec<Graph>,
}

impl Graph {
    /// A node named `name` of kind `kind` (a [`Kind`](crate::Kind) label).
    pub fn new(name: impl Into<String>, kind: impl Into<String>, children: Vec<Graph>) -> Self {
        Self {
            name: name.into(),
            kind: kind.into(),
            children,
        }
    }

    /// The primitive's name, as its spans and metrics carry it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The primitive's kind: `sequential`, `retry`, `llm`, ...
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// What it runs, in order.
    pub fn children(&self) -> &[Graph] {
        &self.children
    }

    /// Every node, parents before children, with its parent's index in
    /// this order (`None` for the root).
    pub fn nodes(&self) -> Vec<(Option<usize>, &Graph)> {
        let mut nodes = Vec::new();
        let mut stack = vec![(None, self)];
        while let Some((parent, node)) = stack.pop() {
            let index = nodes.len();
            nodes.push((parent, node));
            stack.extend(node.children.iter().rev().map(|child| (Some(index), child)));
        }
        nodes
    }

    /// `{"name", "kind", "children": [...]}`, nested.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "kind": self.kind,
            "children": self.children.iter().map(Graph::to_json).collect::<Vec<_>>(),
        })
    }

    /// A Mermaid flowchart, top to bottom. Labels are escaped, so any
    /// primitive name renders as text.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart TD\n");
        let nodes = self.nodes();
        for (index, (_, node)) in nodes.iter().enumerate() {
            let _ = writeln!(
                out,
                "    n{index}[\"{}<br/><i>{}</i>\"]",
                mermaid_text(&node.name),
                mermaid_text(&node.kind)
            );
        }
        for (index, (parent, _)) in nodes.iter().enumerate() {
            if let Some(parent) = parent {
                let _ = writeln!(out, "    n{parent} --> n{index}");
            }
        }
        out
    }

    /// A Graphviz DOT digraph, top to bottom.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph workflow {\n    rankdir=TB;\n    node [shape=box];\n");
        let nodes = self.nodes();
        for (index, (_, node)) in nodes.iter().enumerate() {
            let _ = writeln!(
                out,
                "    n{index} [label=\"{}\\n{}\"];",
                dot_text(&node.name),
                dot_text(&node.kind)
            );
        }
        for (index, (parent, _)) in nodes.iter().enumerate() {
            if let Some(parent) = parent {
                let _ = writeln!(out, "    n{parent} -> n{index};");
            }
        }
        out.push_str("}\n");
        out
    }
}

impl fmt::Display for Graph {
    /// An indented outline: one node per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn line(node: &Graph, depth: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            writeln!(
                f,
                "{:indent$}{} ({})",
                "",
                node.name,
                node.kind,
                indent = depth * 2
            )?;
            node.children
                .iter()
                .try_for_each(|child| line(child, depth + 1, f))
        }
        line(self, 0, f)
    }
}

/// Mermaid reads `"` and `#` in a quoted label, and HTML in it; entity
/// codes keep a name such as `<script>` plain text.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A DOT double-quoted string escapes `"` and `\`.
fn dot_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Graph {
        Graph::new(
            "a >> b",
            "sequential",
            vec![
                Graph::new("retry(a)", "retry", vec![Graph::new("a", "custom", vec![])]),
                Graph::new("b \"q\" <x>", "llm", vec![]),
            ],
        )
    }

    #[test]
    fn nodes_list_parents_before_children_in_order() {
        let graph = sample();
        let nodes: Vec<_> = graph
            .nodes()
            .into_iter()
            .map(|(parent, node)| (parent, node.name()))
            .collect();
        assert_eq!(
            nodes,
            [
                (None, "a >> b"),
                (Some(0), "retry(a)"),
                (Some(1), "a"),
                (Some(0), "b \"q\" <x>"),
            ]
        );
    }

    #[test]
    fn renders_json_mermaid_dot_and_an_outline() {
        let graph = sample();
        assert_eq!(graph.to_json()["children"][0]["children"][0]["name"], "a");
        let mermaid = graph.to_mermaid();
        assert!(
            mermaid.contains("n3[\"b #quot;q#quot; #lt;x#gt;<br/><i>llm</i>\"]"),
            "{mermaid}"
        );
        assert!(mermaid.contains("n1 --> n2"));
        let dot = graph.to_dot();
        assert!(
            dot.contains("n3 [label=\"b \\\"q\\\" <x>\\nllm\"];"),
            "{dot}"
        );
        assert!(dot.contains("n0 -> n3;"));
        assert_eq!(
            graph.to_string(),
            "a >> b (sequential)\n  retry(a) (retry)\n    a (custom)\n  b \"q\" <x> (llm)\n"
        );
    }
}
