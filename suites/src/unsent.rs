//! Why a planned probe was not sent: typed reasons, rendered as sentences, grouped by kind in reports, and
//! whether a probe not sent for that reason keeps a run from saying clean.
//!
//! A probe not sent is never shown as refused: reports list it as not sent, with its reason, per family and
//! per cell ([`crate::outcome`] decides what it does to the run).

use serde::{Deserialize, Serialize};

use crate::probes::Cell;

/// Why one planned probe was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsent {
    /// The planner could set no record of the world aside for this probe to change: the world is too small
    /// for every cell that changes data to have a record of its own.
    NoRecordLeft,
    /// The probe's cell already has a proven finding: its remaining probes leave the records set aside to
    /// other cells (the cell has its verdict).
    CellProven,
    /// Every record set aside for this probe was used up by earlier probes (changed or gone after a proven
    /// finding, or no longer readable by its owner).
    RecordsUsedUp {
        /// The cell of the proven finding that used up the last one, if a finding did.
        by: Option<Cell>,
    },
    /// The record the probe aims at was not seeded on the target.
    NotSeeded {
        /// The record.
        record: String,
    },
    /// Identifiers are not numbers: there is no neighbour to guess.
    IdentifiersNotNumbers,
    /// The caller's own identifier is the lowest: there is no neighbour below.
    NoIdentifierBelow,
    /// The record has no identifier on the target.
    NoIdentifier,
    /// A probe that changes data needs an actor and a record.
    NoActorOrRecord,
    /// No identity reads the record back (it has no steward).
    NoSteward {
        /// The record.
        record: String,
    },
    /// The owner could not read the record before the write: its absence afterwards would prove nothing.
    OwnerCannotRead {
        /// The owner.
        owner: String,
        /// The record.
        record: String,
        /// The status the owner's read got.
        status: u16,
    },
    /// The platform's identifier of the identity a slipped field would name is unknown.
    NamedIdentityUnknown {
        /// The identity.
        identity: String,
    },
    /// The identity a slipped field would name already reads the record: that shows another flaw, and an
    /// assignment could not be told from it.
    NamedReaderAlreadySees {
        /// The reader.
        reader: String,
        /// The record.
        record: String,
    },
    /// An earlier function that changes state and names no record was not refused: what it changed is
    /// unknown, so no such function is called after it.
    AfterAcceptedFunction {
        /// The function's endpoint.
        endpoint: String,
        /// Who called it (an anonymous caller if none).
        actor: Option<String>,
        /// What it answered.
        status: Option<u16>,
    },
    /// The read a privilege escalation is judged by was not refused before the change (the identity
    /// already reads the record, or the target answered otherwise): nothing could be proven.
    ServedBefore {
        /// The identity (its key).
        actor: String,
        /// The record (its key).
        record: String,
        /// The answer before the change.
        status: u16,
    },
    /// The account-takeover control failed: the attacker's change of its own credential, then a login
    /// with the new secret, did not work; a refusal for another account would prove nothing.
    AccountControlFailed {
        /// The change (its profile key).
        endpoint: String,
        /// The identity (its key).
        actor: String,
        /// What failed.
        why: String,
    },
    /// The actor's session credential is not a JSON Web Token (an opaque token, a cookie of another
    /// shape): there are no claims to forge without the platform's secret.
    CredentialNotJwt {
        /// The actor.
        actor: String,
    },
    /// No key of the common weak list signs the actor's token: the forgery that needs it cannot be made
    /// (the key check itself was done offline, and passed).
    NoWeakKey,
    /// The actor's token names nothing of its identity that the victim's could replace: no claim to swap.
    NoClaimToSwap {
        /// The actor.
        actor: String,
    },
    /// No identity of a role granted the function has a session: nobody can set a record aside for the
    /// probe and read its effect back.
    NoGrantedCaller {
        /// The function's endpoint.
        endpoint: String,
    },
    /// The profile's `setup` of the function, sent as a granted role, did not set a record aside (it
    /// failed, or did not give every value it extracts): the probe would aim at nothing of its own.
    SetupFailed {
        /// The function's endpoint.
        endpoint: String,
        /// What the setup answered (`None`: no answer).
        status: Option<u16>,
    },
}

/// The kind of an [`Unsent`] reason, as reports group and name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnsentKind {
    /// [`Unsent::NoRecordLeft`].
    NoRecordLeft,
    /// [`Unsent::CellProven`].
    CellProven,
    /// [`Unsent::RecordsUsedUp`].
    RecordsUsedUp,
    /// [`Unsent::NotSeeded`].
    NotSeeded,
    /// [`Unsent::IdentifiersNotNumbers`].
    IdentifiersNotNumbers,
    /// [`Unsent::NoIdentifierBelow`].
    NoIdentifierBelow,
    /// [`Unsent::NoIdentifier`].
    NoIdentifier,
    /// [`Unsent::NoActorOrRecord`].
    NoActorOrRecord,
    /// [`Unsent::NoSteward`].
    NoSteward,
    /// [`Unsent::OwnerCannotRead`].
    OwnerCannotRead,
    /// [`Unsent::NamedIdentityUnknown`].
    NamedIdentityUnknown,
    /// [`Unsent::NamedReaderAlreadySees`].
    NamedReaderAlreadySees,
    /// [`Unsent::AfterAcceptedFunction`].
    AfterAcceptedFunction,
    /// [`Unsent::ServedBefore`].
    ServedBefore,
    /// [`Unsent::AccountControlFailed`].
    AccountControlFailed,
    /// [`Unsent::CredentialNotJwt`].
    CredentialNotJwt,
    /// [`Unsent::NoWeakKey`].
    NoWeakKey,
    /// [`Unsent::NoClaimToSwap`].
    NoClaimToSwap,
    /// [`Unsent::NoGrantedCaller`].
    NoGrantedCaller,
    /// [`Unsent::SetupFailed`].
    SetupFailed,
    /// The run stopped at its deadline.
    Deadline,
    /// The run was interrupted by a signal.
    Interrupted,
    /// The target failed too many times in a row.
    TargetGone,
}

impl UnsentKind {
    /// Whether probes not sent for this reason keep a run that found nothing from saying clean. Not so when
    /// the cell already has its verdict, or when the variation cannot be built on this target (identifiers
    /// that are not numbers have no neighbours; a field cannot name an identity whose identifier the
    /// platform never gave, and the reason stays listed so that a profile can extract it); the run's stops (deadline, signal, a target gone) have
    /// reasons of their own ([`crate::outcome::StopReason`]).
    pub fn blocks_clean(self) -> bool {
        !matches!(
            self,
            UnsentKind::CellProven
                | UnsentKind::IdentifiersNotNumbers
                | UnsentKind::NoIdentifierBelow
                | UnsentKind::NamedIdentityUnknown
                | UnsentKind::CredentialNotJwt
                | UnsentKind::NoWeakKey
                | UnsentKind::NoClaimToSwap
                | UnsentKind::Deadline
                | UnsentKind::Interrupted
                | UnsentKind::TargetGone
        )
    }

    /// The reason in a few words, for a cell or a family whose probes were not sent for it.
    pub fn label(self) -> &'static str {
        match self {
            UnsentKind::NoRecordLeft => "no record left to reserve",
            UnsentKind::CellProven => "its cell already has a proven finding",
            UnsentKind::RecordsUsedUp => "the records set aside for it were used up",
            UnsentKind::NotSeeded => "its record was not seeded",
            UnsentKind::IdentifiersNotNumbers => "identifiers are not numbers",
            UnsentKind::NoIdentifierBelow => "no identifier below the caller's",
            UnsentKind::NoIdentifier => "its record has no identifier",
            UnsentKind::NoActorOrRecord => "it names no actor or no record",
            UnsentKind::NoSteward => "nobody reads its record back",
            UnsentKind::OwnerCannotRead => "the owner could not read the record before",
            UnsentKind::NamedIdentityUnknown => "the named identity's identifier is unknown",
            UnsentKind::NamedReaderAlreadySees => "the named reader already sees the record",
            UnsentKind::AfterAcceptedFunction => {
                "an earlier function that changes state was accepted"
            }
            UnsentKind::ServedBefore => "its read was not refused before the change",
            UnsentKind::AccountControlFailed => {
                "the control change of the actor's own account failed"
            }
            UnsentKind::CredentialNotJwt => "the session credential is not a JWT",
            UnsentKind::NoWeakKey => "no common weak key signs the platform's tokens",
            UnsentKind::NoClaimToSwap => "the token names nothing of the identity to swap",
            UnsentKind::NoGrantedCaller => "no granted role sets a record aside for it",
            UnsentKind::SetupFailed => "its setup set no record aside",
            UnsentKind::Deadline => "the deadline passed",
            UnsentKind::Interrupted => "the run was interrupted",
            UnsentKind::TargetGone => "the target stopped answering",
        }
    }
}

impl Unsent {
    /// Its kind.
    pub fn kind(&self) -> UnsentKind {
        match self {
            Unsent::NoRecordLeft => UnsentKind::NoRecordLeft,
            Unsent::CellProven => UnsentKind::CellProven,
            Unsent::RecordsUsedUp { .. } => UnsentKind::RecordsUsedUp,
            Unsent::NotSeeded { .. } => UnsentKind::NotSeeded,
            Unsent::IdentifiersNotNumbers => UnsentKind::IdentifiersNotNumbers,
            Unsent::NoIdentifierBelow => UnsentKind::NoIdentifierBelow,
            Unsent::NoIdentifier => UnsentKind::NoIdentifier,
            Unsent::NoActorOrRecord => UnsentKind::NoActorOrRecord,
            Unsent::NoSteward { .. } => UnsentKind::NoSteward,
            Unsent::OwnerCannotRead { .. } => UnsentKind::OwnerCannotRead,
            Unsent::NamedIdentityUnknown { .. } => UnsentKind::NamedIdentityUnknown,
            Unsent::NamedReaderAlreadySees { .. } => UnsentKind::NamedReaderAlreadySees,
            Unsent::AfterAcceptedFunction { .. } => UnsentKind::AfterAcceptedFunction,
            Unsent::ServedBefore { .. } => UnsentKind::ServedBefore,
            Unsent::AccountControlFailed { .. } => UnsentKind::AccountControlFailed,
            Unsent::CredentialNotJwt { .. } => UnsentKind::CredentialNotJwt,
            Unsent::NoWeakKey => UnsentKind::NoWeakKey,
            Unsent::NoClaimToSwap { .. } => UnsentKind::NoClaimToSwap,
            Unsent::NoGrantedCaller { .. } => UnsentKind::NoGrantedCaller,
            Unsent::SetupFailed { .. } => UnsentKind::SetupFailed,
        }
    }
}

impl std::fmt::Display for Unsent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsent::NoRecordLeft => f.write_str(
                "no record left to reserve: the world has too few case files for every cell that changes data to have one of its own (--cases)",
            ),
            Unsent::CellProven => f.write_str(
                "its cell already has a proven finding: the records set aside are left to other cells",
            ),
            Unsent::RecordsUsedUp { by: Some(cell) } => write!(
                f,
                "every record set aside for it was used up by earlier probes, the last by a proven finding of {cell}"
            ),
            Unsent::RecordsUsedUp { by: None } => f.write_str(
                "every record set aside for it was used up: their owners could no longer read them",
            ),
            Unsent::NotSeeded { record } => write!(f, "{record} was not seeded"),
            Unsent::IdentifiersNotNumbers => {
                f.write_str("identifiers are not numbers: no neighbour to guess")
            }
            Unsent::NoIdentifierBelow => f.write_str("no identifier below 1"),
            Unsent::NoIdentifier => f.write_str("the record has no identifier"),
            Unsent::NoActorOrRecord => f.write_str("a probe that changes data needs an actor and a record"),
            Unsent::NoSteward { record } => write!(f, "{record} has no steward"),
            Unsent::OwnerCannotRead {
                owner,
                record,
                status,
            } => write!(f, "{owner} cannot read {record} before the write ({status})"),
            Unsent::NamedIdentityUnknown { identity } => {
                write!(f, "the platform's identifier of {identity} is unknown")
            }
            Unsent::NamedReaderAlreadySees { reader, record } => {
                write!(f, "{reader} already reads {record} before any assignment")
            }
            Unsent::AfterAcceptedFunction {
                endpoint,
                actor,
                status,
            } => {
                let actor = actor.as_deref().unwrap_or("an anonymous caller");
                let status = status.map_or_else(|| "-".to_string(), |s| s.to_string());
                write!(
                    f,
                    "{endpoint} was not refused to {actor} (answered {status}): what it changed is unknown, so no function that changes state is called after it"
                )
            }
            Unsent::ServedBefore {
                actor,
                record,
                status,
            } => write!(
                f,
                "{actor} was not refused {record} before the change (answered {status}): an escalation could not be told from it"
            ),
            Unsent::AccountControlFailed {
                endpoint,
                actor,
                why,
            } => write!(
                f,
                "the control failed: {actor} could not change its own credential through {endpoint} and log in with it ({why}); a refusal for another account would prove nothing"
            ),

            Unsent::CredentialNotJwt { actor } => write!(
                f,
                "{actor}'s session credential is not a JSON Web Token, so its claims cannot be forged without the platform's secret"
            ),
            Unsent::NoWeakKey => f.write_str(
                "no key of the common weak list signs the platform's tokens (checked offline against the actor's own token)",
            ),
            Unsent::NoClaimToSwap { actor } => write!(
                f,
                "{actor}'s token holds none of its identifying values: no claim to swap to the victim"
            ),
            Unsent::NoGrantedCaller { endpoint } => write!(
                f,
                "no identity of a role granted {endpoint} has a session: nobody sets a record aside for it or reads its effect back"
            ),
            Unsent::SetupFailed { endpoint, status } => {
                let status = status.map_or_else(|| "no answer".to_string(), |s| s.to_string());
                write!(
                    f,
                    "the setup of {endpoint} set no record aside ({status}): the call would aim at nothing of its own"
                )
            }
        }
    }
}
