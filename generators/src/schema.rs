//! The entities of a streamed world (one file each) and their JSON Schemas. The field lists here are the
//! CSV headers and the JSON key order; tests check that the writers and the typed records agree with them.

use serde_json::{Map, Value, json};

use crate::model::*;

/// An entity: one output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// Tenants (MDPHs).
    Tenants,
    /// Persons.
    Persons,
    /// Legal representations.
    Representations,
    /// Portal accounts (applicants, representatives, agents, administrators).
    Accounts,
    /// Case files.
    CaseFiles,
    /// Status history of case files.
    StatusEvents,
    /// Requested rights.
    Requests,
    /// Document metadata.
    Documents,
    /// Evaluations.
    Evaluations,
    /// CDAPH decisions.
    Decisions,
    /// Appeals.
    Appeals,
    /// Agent case notes.
    Notes,
}

/// Type of a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// Non-negative integer.
    Integer,
    /// Free string.
    String,
    /// ISO date `YYYY-MM-DD`.
    Date,
    /// Boolean.
    Bool,
    /// One of these strings.
    Enum(Vec<&'static str>),
}

/// A field of an entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Name (JSON key, CSV column).
    pub name: &'static str,
    /// Type.
    pub ty: Ty,
    /// Whether it may be null (empty in CSV).
    pub nullable: bool,
}

fn en<T: Copy>(all: &[T], f: impl Fn(T) -> &'static str) -> Ty {
    Ty::Enum(all.iter().map(|v| f(*v)).collect())
}

macro_rules! fields {
    ($($name:literal : $ty:expr $(, $null:ident)?);* $(;)?) => {
        vec![$(Field { name: $name, ty: $ty, nullable: fields!(@null $($null)?) }),*]
    };
    (@null) => { false };
    (@null null) => { true };
}

impl Entity {
    /// Every entity, in file order.
    pub const ALL: &'static [Entity] = &[
        Entity::Tenants,
        Entity::Persons,
        Entity::Representations,
        Entity::Accounts,
        Entity::CaseFiles,
        Entity::StatusEvents,
        Entity::Requests,
        Entity::Documents,
        Entity::Evaluations,
        Entity::Decisions,
        Entity::Appeals,
        Entity::Notes,
    ];

    /// File stem, e.g. `case_files`.
    pub const fn name(self) -> &'static str {
        match self {
            Entity::Tenants => "tenants",
            Entity::Persons => "persons",
            Entity::Representations => "representations",
            Entity::Accounts => "accounts",
            Entity::CaseFiles => "case_files",
            Entity::StatusEvents => "status_events",
            Entity::Requests => "requests",
            Entity::Documents => "documents",
            Entity::Evaluations => "evaluations",
            Entity::Decisions => "decisions",
            Entity::Appeals => "appeals",
            Entity::Notes => "notes",
        }
    }

    /// The fields, in column order.
    pub fn fields(self) -> Vec<Field> {
        use Ty::*;
        let id = || Integer;
        match self {
            Entity::Tenants => fields! {
                "id": id(); "code": String; "name": String; "departement": String; "region": String;
                "population": Integer; "request_rate_per_1000": Integer; "mean_processing_days": Integer;
            },
            Entity::Persons => fields! {
                "id": id(); "tenant_id": id(); "sex": en(Sex::ALL, Sex::as_str); "first_name": String;
                "surname": String; "birth_date": Date; "birth_place_code": String; "birth_place": String;
                "nir": String; "address_line": String; "postcode": String; "commune_code": String;
                "commune": String; "departement": String; "phone": String, null; "email": String, null;
                "iban": String, null; "protection": en(Protection::ALL, Protection::as_str);
            },
            Entity::Representations => fields! {
                "id": id(); "tenant_id": id(); "person_id": id(); "representative_id": id();
                "kind": en(RepresentationKind::ALL, RepresentationKind::as_str); "start_date": Date;
                "end_date": Date, null;
            },
            Entity::Accounts => fields! {
                "id": id(); "tenant_id": id(); "login": String; "password": String;
                "role": en(Role::ALL, Role::as_str); "function": en(AgentFunction::ALL, AgentFunction::as_str), null;
                "display_name": String; "person_id": id(), null; "represented_person_id": id(), null;
            },
            Entity::CaseFiles => fields! {
                "id": id(); "tenant_id": id(); "person_id": id(); "case_number": String;
                "audience": en(Audience::ALL, Audience::as_str);
                "request_kind": en(RequestKind::ALL, RequestKind::as_str); "filing_date": Date;
                "admissibility_date": Date, null; "status": en(CaseStatus::ALL, CaseStatus::as_str);
                "form_signed_date": Date; "medical_certificate_date": Date; "medical_certificate_doctor": String;
                "pch_age_exception": Bool;
            },
            Entity::StatusEvents => fields! {
                "id": id(); "tenant_id": id(); "case_id": id(); "status": en(CaseStatus::ALL, CaseStatus::as_str);
                "date": Date;
            },
            Entity::Requests => fields! {
                "id": id(); "tenant_id": id(); "case_id": id(); "right": en(Right::ALL, Right::as_str);
                "detail": String;
            },
            Entity::Documents => fields! {
                "id": id(); "tenant_id": id(); "case_id": id(); "person_id": id();
                "kind": en(DocumentKind::ALL, DocumentKind::as_str); "file_name": String; "content_type": String;
                "size": Integer; "reference": String; "issued_date": Date;
            },
            Entity::Evaluations => fields! {
                "id": id(); "tenant_id": id(); "case_id": id(); "evaluator_id": id(); "date": Date;
                "band": en(IncapacityBand::ALL, IncapacityBand::as_str); "work_restriction": Bool;
                "improvement_expected": Bool;
            },
            Entity::Decisions => fields! {
                "id": id(); "tenant_id": id(); "case_id": id(); "request_id": id();
                "right": en(Right::ALL, Right::as_str); "number": String; "outcome": en(Outcome::ALL, Outcome::as_str);
                "decision_date": Date; "start_date": Date, null; "end_date": Date, null; "no_time_limit": Bool;
                "refusal_reason": String, null; "notified_to": String; "notification_date": Date, null;
                "text": String;
            },
            Entity::Appeals => fields! {
                "id": id(); "tenant_id": id(); "case_id": id(); "decision_id": id();
                "kind": en(AppealKind::ALL, AppealKind::as_str); "filed_date": Date;
                "outcome": en(AppealOutcome::ALL, AppealOutcome::as_str); "outcome_date": Date, null;
            },
            Entity::Notes => fields! {
                "id": id(); "tenant_id": id(); "case_id": id(); "author_id": id(); "date": Date; "text": String;
            },
        }
    }

    /// The CSV header line (with its newline).
    pub fn csv_header(self) -> String {
        let names: Vec<&str> = self.fields().iter().map(|f| f.name).collect();
        format!("{}\n", names.join(","))
    }

    /// The JSON Schema (draft 2020-12) of one record.
    pub fn json_schema(self) -> Value {
        let mut props = Map::new();
        for f in self.fields() {
            let base = match &f.ty {
                Ty::Integer => json!({"type": "integer", "minimum": 0}),
                Ty::String => json!({"type": "string"}),
                Ty::Date => json!({"type": "string", "format": "date"}),
                Ty::Bool => json!({"type": "boolean"}),
                Ty::Enum(values) => json!({"type": "string", "enum": values}),
            };
            let schema = if f.nullable {
                json!({"anyOf": [base, {"type": "null"}]})
            } else {
                base
            };
            props.insert(f.name.to_string(), schema);
        }
        let required: Vec<&str> = self.fields().iter().map(|f| f.name).collect();
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": format!("https://example.org/cloison/schema/{}.json", self.name()),
            "title": self.name(),
            "type": "object",
            "additionalProperties": false,
            "required": required,
            "properties": props,
        })
    }

    /// Check one JSON record against this entity's fields: same keys, types, enums, nullability.
    pub fn validate(self, record: &Value) -> Result<(), String> {
        let obj = record.as_object().ok_or("not an object")?;
        let fields = self.fields();
        if obj.len() != fields.len() {
            return Err(format!(
                "{}: {} keys, schema has {}",
                self.name(),
                obj.len(),
                fields.len()
            ));
        }
        for f in fields {
            let v = obj
                .get(f.name)
                .ok_or_else(|| format!("{}: missing {}", self.name(), f.name))?;
            if v.is_null() {
                if f.nullable {
                    continue;
                }
                return Err(format!("{}.{} is null", self.name(), f.name));
            }
            let ok = match &f.ty {
                Ty::Integer => v.is_u64(),
                Ty::String => v.is_string(),
                Ty::Date => v.as_str().and_then(crate::Date::parse_iso).is_some(),
                Ty::Bool => v.is_boolean(),
                Ty::Enum(values) => v.as_str().is_some_and(|s| values.contains(&s)),
            };
            if !ok {
                return Err(format!(
                    "{}.{} = {v} does not match {:?}",
                    self.name(),
                    f.name,
                    f.ty
                ));
            }
        }
        Ok(())
    }
}

/// Every entity's JSON Schema, keyed by entity name.
pub fn all_schemas() -> Value {
    let mut m = Map::new();
    for e in Entity::ALL {
        m.insert(e.name().to_string(), e.json_schema());
    }
    Value::Object(m)
}
