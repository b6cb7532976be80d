//! Curated French vocabularies: first names by sex, street names, right labels and details, refusal reasons,
//! note templates and document titles. Road types, agents' first names and doctors' names come from the
//! `fake` crate's fr_FR locale (they are not canaries); everything that must agree with the person (first
//! names with sex) or be plausible French prose is curated here.

use fake::locales::{Data, FR_FR};

use crate::model::{DocumentKind, Right};

/// Female first names.
pub const FEMALE_FIRST_NAMES: &[&str] = &[
    "Marie",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Françoise",
    "Christine",
    "Monique",
    "Valérie",
    "Sandrine",
    "Véronique",
    "Sophie",
    "Céline",
    "Aurélie",
    "Julie",
    "Émilie",
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Jade",
    "Louise",
    "Emma",
    "Alice",
    "Zoé",
    "Lina",
    "Rose",
    "Anna",
    "Hélène",
    "Martine",
    "Brigitte",
    "Patricia",
    "Laurence",
    "Stéphanie",
    "Audrey",
    "Élodie",
    "Mélanie",
    "Pauline",
    "Charlotte",
    "Margaux",
    "Océane",
    "Maëlle",
    "Lucie",
    "Clémence",
    "Agathe",
    "Nadia",
    "Fatima",
    "Yasmine",
    "Aïcha",
    "Josiane",
    "Gisèle",
    "Odile",
    "Paulette",
    "Jeanne",
    "Mathilde",
    "Anaïs",
    "Noémie",
    "Salomé",
    "Elsa",
];

/// Male first names.
pub const MALE_FIRST_NAMES: &[&str] = &[
    "Jean",
    "Pierre",
    "Michel",
    "Philippe",
    "Alain",
    "Patrick",
    "Nicolas",
    "Christophe",
    "Laurent",
    "Éric",
    "Frédéric",
    "Stéphane",
    "David",
    "Julien",
    "Sébastien",
    "Thomas",
    "Maxime",
    "Antoine",
    "Hugo",
    "Lucas",
    "Louis",
    "Gabriel",
    "Raphaël",
    "Léo",
    "Arthur",
    "Jules",
    "Adam",
    "Noah",
    "Nathan",
    "Théo",
    "Mathis",
    "Enzo",
    "Karim",
    "Mohamed",
    "Yanis",
    "Rayan",
    "Bernard",
    "Gérard",
    "Daniel",
    "Jacques",
    "René",
    "Marcel",
    "André",
    "Claude",
    "Serge",
    "Didier",
    "Olivier",
    "Thierry",
    "Bruno",
    "Franck",
    "Cédric",
    "Jérôme",
    "Mickaël",
    "Benoît",
    "Grégoire",
    "Clément",
    "Baptiste",
    "Quentin",
    "Valentin",
    "Joël",
];

/// Street names (after the road type).
pub const STREET_NAMES: &[&str] = &[
    "de la République",
    "Victor Hugo",
    "Jean Jaurès",
    "du Général de Gaulle",
    "Pasteur",
    "des Écoles",
    "de la Gare",
    "de l'Église",
    "du Moulin",
    "des Lilas",
    "des Tilleuls",
    "Jean Moulin",
    "de la Mairie",
    "du Stade",
    "des Acacias",
    "de Verdun",
    "Gambetta",
    "Voltaire",
    "Jules Ferry",
    "de la Paix",
    "des Peupliers",
    "du Château",
    "de la Fontaine",
    "des Roses",
    "Émile Zola",
    "de Lattre de Tassigny",
    "Anatole France",
    "des Vignes",
    "du Commerce",
    "de la Liberté",
    "Georges Clemenceau",
    "du Marché",
    "des Prés",
    "de la Poste",
    "Carnot",
    "Louis Pasteur",
    "des Cerisiers",
    "du Port",
    "de Bretagne",
    "des Jardins",
    "de la Forêt",
    "Saint-Martin",
    "des Champs",
    "Pierre Curie",
    "Marie Curie",
    "de Provence",
    "des Mimosas",
    "de l'Industrie",
    "du Parc",
    "des Platanes",
    "Aristide Briand",
    "Jean Macé",
    "de la Croix",
    "des Chênes",
    "du Bourg",
    "de la Source",
    "Paul Bert",
    "Henri Barbusse",
    "du Calvaire",
    "des Hirondelles",
    "de la Résistance",
    "Lamartine",
    "Condorcet",
    "Danton",
    "Molière",
    "Racine",
    "de Strasbourg",
    "de Paris",
    "du 8 Mai 1945",
    "du 11 Novembre",
    "Edouard Herriot",
    "Jean Monnet",
    "des Sports",
    "de la Plaine",
    "du Lavoir",
    "des Noyers",
    "des Érables",
    "de la Vallée",
    "des Coquelicots",
    "Alsace-Lorraine",
    "Charles Péguy",
    "Guy Môquet",
    "Rabelais",
    "Montesquieu",
    "Jean de La Fontaine",
    "des Bleuets",
    "du Pont",
    "de la Rivière",
    "du Val",
    "des Hortensias",
    "Simone Veil",
    "Olympe de Gouges",
    "Louise Michel",
    "Gustave Eiffel",
    "de la Libération",
    "Saint-Exupéry",
    "du Docteur Schweitzer",
    "des Artisans",
    "de l'Avenir",
    "des Marronniers",
];

/// Road types, lower-cased from fake's fr_FR locale (`Allée`, `Avenue`, `Rue`...).
pub fn road_types() -> &'static [&'static str] {
    <FR_FR as Data>::ADDRESS_STREET_SUFFIX
}

/// First names of agents and doctors (fake's fr_FR list; not canaries).
pub fn staff_first_names() -> &'static [&'static str] {
    <FR_FR as Data>::NAME_FIRST_NAME
}

/// Surnames of doctors (fake's fr_FR list; not canaries).
pub fn doctor_surnames() -> &'static [&'static str] {
    <FR_FR as Data>::NAME_LAST_NAME
}

/// Call `f` with every word (split on anything but letters and digits) of every embedded vocabulary: the
/// curated lists and templates here, fake's fr_FR names and road types, commune, departement, region and
/// country names. Generated surnames avoid all of them (see [`crate::ident`]).
pub fn for_each_vocabulary_word(mut f: impl FnMut(&str)) {
    let mut split = |s: &str| {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .for_each(&mut f)
    };
    let lists: [&[&str]; 16] = [
        FEMALE_FIRST_NAMES,
        MALE_FIRST_NAMES,
        STREET_NAMES,
        road_types(),
        staff_first_names(),
        doctor_surnames(),
        PCH_ELEMENTS,
        RQTH_DETAILS,
        ESMS_CHILD,
        ESMS_ADULT,
        PPS_DETAILS,
        AEEH_DETAILS,
        NOTE_TEMPLATES,
        &[
            CMI_INVALIDITE,
            CMI_PRIORITE,
            CMI_STATIONNEMENT,
            REASON_UNDER_50,
            REASON_NO_RESTRICTION,
        ],
        &[REASON_ADMINISTRATIVE, REASON_CRITERIA],
        <FR_FR as Data>::NAME_TITLE,
    ];
    for list in lists {
        list.iter().for_each(|s| split(s));
    }
    for r in Right::ALL {
        split(right_label(*r));
    }
    for k in DocumentKind::ALL {
        split(document_title(*k));
        document_body(*k).iter().for_each(|s| split(s));
    }
    let g = crate::geo::geo();
    for d in &g.departements {
        split(d.name);
        split(d.region_name);
    }
    for c in &g.communes {
        split(c.name);
    }
    for (_, name) in crate::ident::BIRTH_COUNTRIES {
        split(name);
    }
    // Words of the fixed parts of decisions, notes and PDFs.
    for fixed in [
        "La CDAPH de la MDPH réunie le accorde à refuse à du au sans limitation de durée Motif",
        "La demande de est déclarée irrecevable le dossier incomplet malgré relance",
        "Sans réponse de la CDAPH dans un délai de quatre mois est implicitement rejetée Décision",
        "Nom Prénom Né(e) le Adresse Dossier Référence du document Date Médecin Dr bât appt",
        "application pdf example org net portail usagers test",
    ] {
        split(fixed);
    }
}

/// Fold a French word to lower-case ASCII for email local parts (`Émilie` -> `emilie`).
pub fn push_ascii_lower(out: &mut Vec<u8>, s: &str) {
    for c in s.chars() {
        let r = match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
            'î' | 'ï' | 'Î' => 'i',
            'ô' | 'ö' | 'Ô' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            ' ' | '\'' => '-',
            c if c.is_ascii_alphanumeric() || c == '-' => c.to_ascii_lowercase(),
            _ => continue,
        };
        out.push(r as u8);
    }
}

/// French label of a right, as used in decisions and notes.
pub const fn right_label(r: Right) -> &'static str {
    match r {
        Right::Aah => "allocation aux adultes handicapés (AAH)",
        Right::Aeeh => "allocation d'éducation de l'enfant handicapé (AEEH)",
        Right::Pch => "prestation de compensation du handicap (PCH)",
        Right::Cmi => "carte mobilité inclusion (CMI)",
        Right::Rqth => "reconnaissance de la qualité de travailleur handicapé (RQTH)",
        Right::Esms => "orientation vers un établissement ou service médico-social",
        Right::Pps => "plan personnalisé de scolarisation (PPS)",
        Right::Avpf => "assurance vieillesse des parents au foyer (AVPF)",
    }
}

/// PCH elements.
pub const PCH_ELEMENTS: &[&str] = &[
    "aide humaine",
    "aides techniques",
    "aménagement du logement",
    "aménagement du véhicule",
    "charges spécifiques",
    "aide animalière",
    "aide à la parentalité",
];
/// CMI mentions: invalidité (needs 80 %), priorité, stationnement.
pub const CMI_INVALIDITE: &str = "invalidité";
/// CMI mention priorité.
pub const CMI_PRIORITE: &str = "priorité";
/// CMI mention stationnement.
pub const CMI_STATIONNEMENT: &str = "stationnement";
/// Vocational orientations that go with an RQTH.
pub const RQTH_DETAILS: &[&str] = &[
    "RQTH et orientation marché du travail",
    "RQTH et orientation ESAT",
    "RQTH et orientation CRP",
    "RQTH seule",
];
/// Medico-social orientations for children.
pub const ESMS_CHILD: &[&str] = &["IME", "ITEP", "IEM", "SESSAD"];
/// Medico-social orientations for adults.
pub const ESMS_ADULT: &[&str] = &["MAS", "FAM/EAM", "foyer de vie/EANM", "SAVS", "SAMSAH"];
/// Schooling plan measures.
pub const PPS_DETAILS: &[&str] = &[
    "aide humaine AESH",
    "ULIS",
    "matériel pédagogique adapté",
    "transport scolaire",
];
/// AEEH and its complements.
pub const AEEH_DETAILS: &[&str] = &[
    "AEEH de base",
    "AEEH et complément 1",
    "AEEH et complément 2",
    "AEEH et complément 3",
    "AEEH et complément 4",
    "AEEH et complément 5",
    "AEEH et complément 6",
];

/// Refusal reasons.
pub const REASON_UNDER_50: &str = "taux d'incapacité inférieur à 50 %";
/// AAH at 50-79 % without the work restriction.
pub const REASON_NO_RESTRICTION: &str =
    "absence de restriction substantielle et durable pour l'accès à l'emploi";
/// Other AAH refusals.
pub const REASON_ADMINISTRATIVE: &str = "conditions administratives non remplies";
/// Refusal of other rights.
pub const REASON_CRITERIA: &str = "critères d'attribution non remplis au vu de l'évaluation";

/// Case note templates. `{c}` civility, `{s}` surname, `{r}` right label, `{d}` a date, `{ref}` the note's
/// unique reference. No double quotes (they would need escaping in JSON and CSV).
pub const NOTE_TEMPLATES: &[&str; 12] = &[
    "Appel téléphonique de {c} {s} : souhaite connaître l'avancement du dossier. Délai moyen de traitement rappelé. Réf. {ref}.",
    "Pièces complémentaires reçues le {d} (bilan récent). Dossier transmis à l'équipe pluridisciplinaire. Réf. {ref}.",
    "Certificat médical à actualiser : courrier de relance adressé à {c} {s} le {d}. Réf. {ref}.",
    "Situation familiale fragile signalée par l'assistante sociale du secteur ; examiner en priorité la demande ({r}). Réf. {ref}.",
    "Entretien avec {c} {s} : difficultés importantes dans les actes de la vie quotidienne, aide d'un tiers pour la toilette et les repas. Réf. {ref}.",
    "Demande ({r}) : avis du médecin de l'équipe en attente, à revoir en commission du {d}. Réf. {ref}.",
    "Courriel de {c} {s} contestant le délai de traitement ; réponse type envoyée le {d}. Réf. {ref}.",
    "Visite à domicile proposée à {c} {s} et acceptée. Compte rendu à joindre au dossier. Réf. {ref}.",
    "Orientation à revoir avec l'établissement d'accueil ; contacter le référent de parcours avant la CDAPH. Réf. {ref}.",
    "Justificatif de domicile illisible, nouvelle pièce demandée à {c} {s} le {d}. Réf. {ref}.",
    "Troubles du comportement décrits par l'entourage, suivi en CMP depuis plusieurs années ; {c} {s} souhaite un accompagnement. Réf. {ref}.",
    "Dossier complet au {d}. Évaluation sur pièces possible pour la demande ({r}). Réf. {ref}.",
];

/// What the date `{d}` of a note template is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteDate {
    /// The template has no date.
    None,
    /// A past event (documents received, a letter sent): at or before the note.
    Past,
    /// The CDAPH sitting the case file is to be examined at: after the note, the case file's decision.
    Commission,
}

/// The kind of date of each of [`NOTE_TEMPLATES`].
pub const NOTE_DATES: [NoteDate; 12] = [
    NoteDate::None,
    NoteDate::Past,
    NoteDate::Past,
    NoteDate::None,
    NoteDate::None,
    NoteDate::Commission,
    NoteDate::Past,
    NoteDate::None,
    NoteDate::None,
    NoteDate::Past,
    NoteDate::None,
    NoteDate::Past,
];

/// Title printed on a document.
pub const fn document_title(k: DocumentKind) -> &'static str {
    match k {
        DocumentKind::RequestForm => "Formulaire de demande MDPH (Cerfa 15692)",
        DocumentKind::MedicalCertificate => "Certificat médical (Cerfa 15695)",
        DocumentKind::IdentityDocument => "Pièce d'identité",
        DocumentKind::ProofOfAddress => "Justificatif de domicile",
        DocumentKind::FamilyRecordBook => "Livret de famille",
        DocumentKind::CourtJudgment => "Jugement de mesure de protection",
        DocumentKind::RepresentativeIdentity => "Pièce d'identité du représentant légal",
        DocumentKind::PsychologicalAssessment => "Bilan psychologique",
        DocumentKind::SpeechAssessment => "Bilan orthophonique",
        DocumentKind::OccupationalAssessment => "Bilan d'ergothérapie",
        DocumentKind::HospitalReport => "Compte rendu d'hospitalisation",
        DocumentKind::VisionAnnex => "Volet ophtalmologique du certificat médical",
        DocumentKind::HearingAnnex => "Volet auditif du certificat médical",
        DocumentKind::SchoolAssessment => "Guide d'évaluation scolaire (GEVA-Sco)",
        DocumentKind::DecisionNotification => "Notification des décisions de la CDAPH",
    }
}

/// File-name slug of a document kind (ASCII).
pub const fn document_slug(k: DocumentKind) -> &'static str {
    match k {
        DocumentKind::RequestForm => "formulaire-demande",
        DocumentKind::MedicalCertificate => "certificat-medical",
        DocumentKind::IdentityDocument => "piece-identite",
        DocumentKind::ProofOfAddress => "justificatif-domicile",
        DocumentKind::FamilyRecordBook => "livret-famille",
        DocumentKind::CourtJudgment => "jugement-protection",
        DocumentKind::RepresentativeIdentity => "piece-identite-representant",
        DocumentKind::PsychologicalAssessment => "bilan-psychologique",
        DocumentKind::SpeechAssessment => "bilan-orthophonique",
        DocumentKind::OccupationalAssessment => "bilan-ergotherapie",
        DocumentKind::HospitalReport => "compte-rendu-hospitalisation",
        DocumentKind::VisionAnnex => "volet-ophtalmologique",
        DocumentKind::HearingAnnex => "volet-auditif",
        DocumentKind::SchoolAssessment => "geva-sco",
        DocumentKind::DecisionNotification => "notification-cdaph",
    }
}

/// Body lines of a document (after the identity block), by kind.
pub const fn document_body(k: DocumentKind) -> &'static [&'static str] {
    match k {
        DocumentKind::RequestForm => &[
            "Section A : identité de la personne concernée.",
            "Section B : vie quotidienne, besoins et attentes.",
            "Section E : demandes de droits et de prestations.",
            "Je certifie sur l'honneur l'exactitude des informations déclarées.",
        ],
        DocumentKind::MedicalCertificate => &[
            "Pathologie motivant la demande : voir éléments cliniques joints.",
            "Retentissement fonctionnel : mobilité, communication, cognition.",
            "Traitements et prises en charge en cours.",
        ],
        DocumentKind::IdentityDocument | DocumentKind::RepresentativeIdentity => &[
            "Copie recto verso certifiée conforme.",
            "Document en cours de validité.",
        ],
        DocumentKind::ProofOfAddress => &[
            "Facture d'énergie de moins de trois mois.",
            "Adresse conforme au formulaire.",
        ],
        DocumentKind::FamilyRecordBook => &["Extrait : pages parents et enfants."],
        DocumentKind::CourtJudgment => &[
            "Le juge des contentieux de la protection ordonne la mesure.",
            "Durée de la mesure : soixante mois.",
        ],
        DocumentKind::PsychologicalAssessment => &[
            "Bilan réalisé en trois séances.",
            "Fonctionnement intellectuel hétérogène, fatigabilité marquée.",
        ],
        DocumentKind::SpeechAssessment => &[
            "Troubles du langage oral et écrit.",
            "Rééducation hebdomadaire recommandée.",
        ],
        DocumentKind::OccupationalAssessment => &[
            "Évaluation des gestes de la vie quotidienne.",
            "Préconisations d'aides techniques.",
        ],
        DocumentKind::HospitalReport => &[
            "Motif d'hospitalisation et évolution.",
            "Suivi proposé en consultation.",
        ],
        DocumentKind::VisionAnnex => &["Acuité visuelle après correction.", "Champ visuel joint."],
        DocumentKind::HearingAnnex => &["Audiogramme tonal et vocal.", "Appareillage bilatéral."],
        DocumentKind::SchoolAssessment => &[
            "Observations de l'équipe de suivi de la scolarisation.",
            "Besoins d'accompagnement en classe.",
        ],
        DocumentKind::DecisionNotification => &[
            "Vous pouvez contester cette décision par un recours administratif préalable",
            "dans un délai de deux mois à compter de sa notification.",
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::looks_like_generated_surname;

    #[test]
    fn the_vocabulary_covers_names_templates_and_communes() {
        let mut words = std::collections::HashSet::new();
        for_each_vocabulary_word(|w| {
            words.insert(w.to_string());
        });
        for w in [
            "Nicolas",
            "Document",
            "Parisot",
            "Forestier",
            "Paris",
            "Marseille",
            "Lilas",
        ] {
            assert!(words.contains(w), "{w}");
        }
        assert!(
            words.iter().any(|w| looks_like_generated_surname(w)),
            "some real words have the shape"
        );
    }

    #[test]
    fn note_date_kinds_match_the_templates() {
        for (t, kind) in NOTE_TEMPLATES.iter().zip(NOTE_DATES) {
            assert_eq!(t.contains("{d}"), kind != NoteDate::None, "{t}");
            assert_eq!(t.contains("commission du {d}"), kind == NoteDate::Commission, "{t}");
        }
    }

    #[test]
    fn templates_need_no_json_or_csv_quoting_of_quotes() {
        for t in NOTE_TEMPLATES.iter().chain(STREET_NAMES) {
            assert!(!t.contains(['"', '\\', '\n']), "{t}");
        }
        let mut b = Vec::new();
        push_ascii_lower(&mut b, "Aïcha-Émilie");
        assert_eq!(b, b"aicha-emilie");
    }
}
