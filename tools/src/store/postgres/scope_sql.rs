//! Compiles a filter (scope expression and time range) to a SQL condition with bind
//! parameters only: no value of a scope ever becomes SQL text.
//!
//! The semantics are the reference evaluator's (`scope::eval`): single-valued dimensions are
//! nullable columns, multi-valued ones (tags, MITRE IDs, tools) `text[]` columns where a
//! comparison holds when it holds for any value, raw `output_fields` keys are read from the
//! `output_fields` jsonb (every value stored as text). Every comparison yields true or false,
//! never NULL (a missing value fails `=`, `in`, `contains`, `startswith` and `exists`), so
//! `not` is exact.

use sqlx::{Postgres, QueryBuilder};

use crate::scope::{Comparison, Dimension, FieldRef, Operator, ScopeExpr};
use crate::store::AlertFilter;
use crate::store::shape::time_to_nanos;

/// A column of the `alerts` table standing for a dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    /// A nullable `text` column.
    Single(&'static str),
    /// A `text[]` column (never NULL, possibly empty).
    Multi(&'static str),
}

/// The column of a dimension.
pub(super) fn column(dimension: Dimension) -> Column {
    match dimension {
        Dimension::Rule => Column::Single("rule"),
        Dimension::Priority => Column::Single("priority"),
        Dimension::Source => Column::Single("source"),
        Dimension::Tag => Column::Multi("tags"),
        Dimension::Host => Column::Single("host"),
        Dimension::Cluster => Column::Single("cluster"),
        Dimension::Namespace => Column::Single("namespace"),
        Dimension::Workload => Column::Single("workload"),
        Dimension::Pod => Column::Single("pod"),
        Dimension::ContainerId => Column::Single("container_id"),
        Dimension::ContainerName => Column::Single("container_name"),
        Dimension::Image => Column::Single("image"),
        Dimension::Process => Column::Single("process"),
        Dimension::User => Column::Single("user_name"),
        Dimension::File => Column::Single("file"),
        Dimension::MitreTactic => Column::Multi("mitre_tactics"),
        Dimension::MitreTechnique => Column::Multi("mitre_techniques"),
        Dimension::Tool => Column::Multi("tools"),
        Dimension::Id => Column::Single("id"),
    }
}

/// The SQL expression of a dimension's value as a tuple key: the column, or for a
/// multi-valued dimension its first value in the alert's order (as the embedded backend's
/// first value of the document).
pub(super) fn key_expression(dimension: Dimension) -> String {
    match column(dimension) {
        Column::Single(name) => name.to_string(),
        Column::Multi(name) => format!("{name}[1]"),
    }
}

/// Pushes ` WHERE <filter>` (always a condition, `TRUE` for everything).
pub(super) fn push_where(builder: &mut QueryBuilder<Postgres>, filter: &AlertFilter) {
    builder.push(" WHERE ");
    push_condition(builder, filter);
}

/// Pushes the filter's condition.
pub(super) fn push_condition(builder: &mut QueryBuilder<Postgres>, filter: &AlertFilter) {
    builder.push("(TRUE");
    if let Some(since) = filter.time.since {
        builder.push(" AND time_ns >= ").push_bind(time_to_nanos(since));
    }
    if let Some(until) = filter.time.until {
        builder.push(" AND time_ns < ").push_bind(time_to_nanos(until));
    }
    if let Some(expr) = filter.scope.expr() {
        builder.push(" AND ");
        push_expr(builder, expr);
    }
    builder.push(")");
}

fn push_expr(builder: &mut QueryBuilder<Postgres>, expr: &ScopeExpr) {
    match expr {
        ScopeExpr::And(left, right) => {
            builder.push("(");
            push_expr(builder, left);
            builder.push(" AND ");
            push_expr(builder, right);
            builder.push(")");
        }
        ScopeExpr::Or(left, right) => {
            builder.push("(");
            push_expr(builder, left);
            builder.push(" OR ");
            push_expr(builder, right);
            builder.push(")");
        }
        ScopeExpr::Not(inner) => {
            builder.push("(NOT ");
            push_expr(builder, inner);
            builder.push(")");
        }
        ScopeExpr::Compare(comparison) => push_comparison(builder, comparison),
    }
}

/// Where a comparison reads its values from.
enum Source<'a> {
    /// A nullable text column.
    Column(&'static str),
    /// A text array column.
    Array(&'static str),
    /// A raw `output_fields` key.
    Key(&'a str),
}

fn push_comparison(builder: &mut QueryBuilder<Postgres>, comparison: &Comparison) {
    let source = match &comparison.field {
        FieldRef::Dimension(dimension) => match column(*dimension) {
            Column::Single(name) => Source::Column(name),
            Column::Multi(name) => Source::Array(name),
        },
        FieldRef::OutputField(key) => Source::Key(key),
    };
    let values = &comparison.values;
    match comparison.operator {
        Operator::Equal | Operator::In => push_equal(builder, &source, values),
        Operator::NotEqual => {
            builder.push("(NOT ");
            push_equal(builder, &source, values);
            builder.push(")");
        }
        Operator::Contains => push_any_value(builder, &source, values, "strpos(", ", ", ") > 0"),
        Operator::StartsWith => push_any_value(builder, &source, values, "starts_with(", ", ", ")"),
        Operator::Exists => match source {
            Source::Array(name) => {
                builder.push(format!("EXISTS (SELECT 1 FROM unnest({name}) AS field_values(value) WHERE value <> '')"));
            }
            Source::Column(_) | Source::Key(_) => {
                builder.push("(");
                push_value(builder, &source);
                builder.push(" IS NOT NULL AND ");
                push_value(builder, &source);
                builder.push(" <> '')");
            }
        },
    }
}

/// The value expression of a single-valued source.
fn push_value(builder: &mut QueryBuilder<Postgres>, source: &Source<'_>) {
    match source {
        Source::Column(name) | Source::Array(name) => {
            builder.push(*name);
        }
        Source::Key(key) => {
            builder.push("(output_fields ->> ").push_bind(key.to_string()).push(")");
        }
    }
}

fn push_equal(builder: &mut QueryBuilder<Postgres>, source: &Source<'_>, values: &[String]) {
    match source {
        Source::Array(name) => {
            builder.push(format!("({name} && ")).push_bind(values.to_vec()).push("::text[])");
        }
        Source::Column(_) | Source::Key(_) => {
            builder.push("(");
            push_value(builder, source);
            builder.push(" IS NOT NULL AND ");
            push_value(builder, source);
            builder.push(" = ANY(").push_bind(values.to_vec()).push("::text[]))");
        }
    }
}

/// `any value v of the field and any wanted w: <before> v <between> w <after>`.
fn push_any_value(
    builder: &mut QueryBuilder<Postgres>,
    source: &Source<'_>,
    wanted: &[String],
    before: &str,
    between: &str,
    after: &str,
) {
    if wanted.is_empty() {
        builder.push("FALSE");
        return;
    }
    let push_tests = |builder: &mut QueryBuilder<Postgres>, value: &dyn Fn(&mut QueryBuilder<Postgres>)| {
        for (position, text) in wanted.iter().enumerate() {
            if position > 0 {
                builder.push(" OR ");
            }
            builder.push(before);
            value(builder);
            builder.push(between).push_bind(text.clone()).push("::text").push(after);
        }
    };
    match source {
        Source::Array(name) => {
            builder.push(format!("EXISTS (SELECT 1 FROM unnest({name}) AS field_values(value) WHERE "));
            push_tests(builder, &|builder| {
                builder.push("value");
            });
            builder.push(")");
        }
        Source::Column(_) | Source::Key(_) => {
            builder.push("(");
            push_value(builder, source);
            builder.push(" IS NOT NULL AND (");
            push_tests(builder, &|builder| push_value(builder, source));
            builder.push("))");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scope;

    fn sql(scope: &str) -> String {
        let mut builder = QueryBuilder::<Postgres>::new("SELECT 1 FROM alerts");
        let filter = AlertFilter::scoped(Scope::parse(scope).unwrap_or_else(|error| panic!("{scope}: {error}")));
        push_where(&mut builder, &filter);
        builder.sql().as_str().to_string()
    }

    #[test]
    fn values_are_bound_never_written() {
        let text = sql("k8s.ns.name = \"x'; DROP TABLE alerts; --\" and proc.aname[2] contains \"'\"");
        assert!(!text.contains("DROP"), "{text}");
        assert!(!text.contains("proc.aname"), "{text}");
        assert!(text.contains("namespace = ANY($1::text[])"), "{text}");
    }

    #[test]
    fn multi_valued_dimensions_use_their_arrays() {
        assert!(sql("tags in (a, b)").contains("(tags && $1::text[])"));
        assert!(sql("mitre.technique startswith T10").contains("unnest(mitre_techniques)"));
    }
}
