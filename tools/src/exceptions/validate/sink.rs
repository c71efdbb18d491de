//! Collects problems from every layer, names the item each is about from its JSON pointer, and
//! orders them as the input is ordered, deterministically.

use super::node::Node;
use super::report::{Layer, Problem, ProblemItem, Severity};

/// Where a problem is: line and column when the input is text, the JSON pointer always, and
/// the position in document order for sorting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub pointer: String,
    pub order: usize,
}

impl Place {
    /// The place of a node.
    pub fn of(node: &Node) -> Place {
        Place { line: node.line, column: node.column, pointer: node.pointer.clone(), order: node.order }
    }
}

/// The document problems are about, for naming items.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocumentView<'tree> {
    pub root: &'tree Node,
    /// True when the root is one item (structured input), not a rules file.
    pub root_is_item: bool,
    /// The document's position among the documents of the text.
    pub index: usize,
}

#[derive(Debug)]
struct Collected {
    key: (usize, usize, usize, usize, Layer, usize),
    problem: Problem,
}

/// The problems found so far.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    collected: Vec<Collected>,
}

impl Sink {
    /// Records a problem about a node of `document`.
    pub fn report(
        &mut self,
        document: Option<DocumentView<'_>>,
        layer: Layer,
        severity: Severity,
        place: Place,
        message: String,
        allowed: String,
    ) {
        let item = document.map(|view| describe_item(view, &place.pointer)).unwrap_or_default();
        let document_index = document.map_or(usize::MAX, |view| view.index);
        let key = (
            place.line.unwrap_or(usize::MAX),
            place.column.unwrap_or(usize::MAX),
            document_index,
            place.order,
            layer,
            self.collected.len(),
        );
        let problem = Problem {
            layer,
            severity,
            line: place.line,
            column: place.column,
            path: place.pointer,
            item,
            message,
            allowed,
        };
        self.collected.push(Collected { key, problem });
    }

    /// How many errors of `layer` were recorded.
    pub fn errors_in(&self, layer: Layer) -> usize {
        self.collected
            .iter()
            .filter(|collected| collected.problem.layer == layer && collected.problem.severity == Severity::Error)
            .count()
    }

    /// The errors and the warnings, each in input order, without repeats.
    pub fn finish(mut self) -> (Vec<Problem>, Vec<Problem>) {
        self.collected.sort_by_key(|collected| collected.key);
        let mut errors: Vec<Problem> = Vec::new();
        let mut warnings: Vec<Problem> = Vec::new();
        for Collected { problem, .. } in self.collected {
            let list = if problem.severity == Severity::Error { &mut errors } else { &mut warnings };
            if !list.contains(&problem) {
                list.push(problem);
            }
        }
        (errors, warnings)
    }
}

/// Names the item a pointer is inside: the rule (macro, list), the exception, the field or
/// value position.
pub(crate) fn describe_item(view: DocumentView<'_>, pointer: &str) -> ProblemItem {
    let segments: Vec<String> = if pointer.is_empty() {
        Vec::new()
    } else {
        pointer
            .trim_start_matches('/')
            .split('/')
            .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
            .collect()
    };
    let (item, rest): (Option<&Node>, &[String]) = match (view.root.items(), view.root_is_item) {
        (_, true) => (Some(view.root), &segments[..]),
        (Some(items), false) => match segments.first().and_then(|segment| segment.parse::<usize>().ok()) {
            Some(index) => (items.get(index), &segments[1..]),
            None => (None, &segments[..]),
        },
        (None, false) if segments.is_empty() => (None, &segments[..]),
        (None, false) => (Some(view.root), &segments[..]),
    };
    let mut described = ProblemItem::default();
    let Some(item) = item else {
        return described;
    };
    let named = ["rule", "macro", "list"].into_iter().find_map(|kind| item.get(kind).map(|name| (kind, name)));
    match named {
        Some((kind, name)) => {
            described.kind = Some(kind.to_string());
            described.name = name.scalar().map(str::to_string);
        }
        None => described.kind = Some("item".to_string()),
    }
    let index_at = |position: usize| rest.get(position).and_then(|segment| segment.parse::<usize>().ok());
    if rest.first().map(String::as_str) == Some("exceptions")
        && let Some(exception_index) = index_at(1)
    {
        described.exception_index = Some(exception_index);
        described.exception = item
            .get("exceptions")
            .and_then(Node::items)
            .and_then(|entries| entries.get(exception_index))
            .and_then(|entry| entry.get("name"))
            .and_then(Node::scalar)
            .map(str::to_string);
        match rest.get(2).map(String::as_str) {
            Some("fields" | "comps") => described.field_index = index_at(3),
            Some("values") => {
                described.value_index = index_at(3);
                described.field_index = index_at(4);
            }
            _ => {}
        }
    }
    described
}
