//! Curated French vocabularies: first names by decade of birth and sex, street names, right labels and details, refusal reasons,
//! note templates and document titles. Road types, agents' first names and doctors' names come from the
//! `fake` crate's fr_FR locale (they are not canaries); everything that must agree with the person (first
//! names with sex) or be plausible French prose is curated here.

use fake::locales::{Data, FR_FR};

use crate::model::{DocumentKind, Right};

/// First names most given in France by decade of birth and sex, ten per decade, most given first (from the
/// INSEE first-name file, "Fichier des prénoms", Licence Ouverte; see `data/README.md`). Index: decade
/// (`1920` for births before 1930 ... `2020`), then female (0) or male (1).
pub const FIRST_NAMES_BY_DECADE: [(i32, [[&str; 10]; 2]); 11] = [
    (
        1920,
        [
            [
                "Marie",
                "Jeanne",
                "Marguerite",
                "Germaine",
                "Louise",
                "Yvonne",
                "Madeleine",
                "Suzanne",
                "Simone",
                "Marcelle",
            ],
            [
                "Jean", "Pierre", "André", "René", "Marcel", "Roger", "Louis", "Robert", "Henri",
                "Georges",
            ],
        ],
    ),
    (
        1930,
        [
            [
                "Marie",
                "Jeanne",
                "Monique",
                "Jacqueline",
                "Simone",
                "Denise",
                "Paulette",
                "Yvette",
                "Colette",
                "Odette",
            ],
            [
                "Jean", "André", "Pierre", "René", "Roger", "Marcel", "Robert", "Jacques",
                "Claude", "Raymond",
            ],
        ],
    ),
    (
        1940,
        [
            [
                "Marie",
                "Monique",
                "Jacqueline",
                "Nicole",
                "Françoise",
                "Michèle",
                "Danielle",
                "Christiane",
                "Josiane",
                "Annie",
            ],
            [
                "Jean", "Michel", "Pierre", "Jacques", "Claude", "Bernard", "André", "Alain",
                "Gérard", "Daniel",
            ],
        ],
    ),
    (
        1950,
        [
            [
                "Marie",
                "Martine",
                "Françoise",
                "Monique",
                "Nicole",
                "Christine",
                "Catherine",
                "Danielle",
                "Chantal",
                "Brigitte",
            ],
            [
                "Jean",
                "Michel",
                "Alain",
                "Patrick",
                "Daniel",
                "Bernard",
                "Gérard",
                "Christian",
                "Philippe",
                "Jacques",
            ],
        ],
    ),
    (
        1960,
        [
            [
                "Sylvie",
                "Catherine",
                "Martine",
                "Isabelle",
                "Christine",
                "Nathalie",
                "Véronique",
                "Brigitte",
                "Patricia",
                "Valérie",
            ],
            [
                "Philippe",
                "Patrick",
                "Pascal",
                "Thierry",
                "Éric",
                "Christophe",
                "Michel",
                "Alain",
                "Didier",
                "Dominique",
            ],
        ],
    ),
    (
        1970,
        [
            [
                "Nathalie",
                "Isabelle",
                "Sandrine",
                "Valérie",
                "Stéphanie",
                "Sophie",
                "Céline",
                "Karine",
                "Christelle",
                "Virginie",
            ],
            [
                "Christophe",
                "Stéphane",
                "Laurent",
                "Sébastien",
                "Frédéric",
                "David",
                "Olivier",
                "Nicolas",
                "Éric",
                "Pascal",
            ],
        ],
    ),
    (
        1980,
        [
            [
                "Aurélie",
                "Céline",
                "Émilie",
                "Julie",
                "Élodie",
                "Stéphanie",
                "Audrey",
                "Mélanie",
                "Laetitia",
                "Sandrine",
            ],
            [
                "Nicolas",
                "Julien",
                "Sébastien",
                "Guillaume",
                "Jérôme",
                "Mickaël",
                "Romain",
                "Christophe",
                "David",
                "Thomas",
            ],
        ],
    ),
    (
        1990,
        [
            [
                "Laura", "Camille", "Manon", "Marine", "Pauline", "Marion", "Julie", "Sarah",
                "Mathilde", "Léa",
            ],
            [
                "Kevin",
                "Thomas",
                "Nicolas",
                "Alexandre",
                "Anthony",
                "Maxime",
                "Quentin",
                "Julien",
                "Romain",
                "Florian",
            ],
        ],
    ),
    (
        2000,
        [
            [
                "Léa", "Manon", "Chloé", "Camille", "Emma", "Océane", "Sarah", "Inès", "Clara",
                "Lucie",
            ],
            [
                "Lucas",
                "Thomas",
                "Hugo",
                "Théo",
                "Maxime",
                "Enzo",
                "Nathan",
                "Mathis",
                "Alexandre",
                "Louis",
            ],
        ],
    ),
    (
        2010,
        [
            [
                "Emma", "Jade", "Louise", "Alice", "Chloé", "Lina", "Léa", "Rose", "Anna", "Mila",
            ],
            [
                "Gabriel", "Louis", "Raphaël", "Jules", "Adam", "Lucas", "Léo", "Hugo", "Arthur",
                "Nathan",
            ],
        ],
    ),
    (
        2020,
        [
            [
                "Jade", "Louise", "Emma", "Ambre", "Alba", "Rose", "Alice", "Romy", "Anna", "Lina",
            ],
            [
                "Gabriel", "Léo", "Raphaël", "Louis", "Maël", "Noah", "Jules", "Arthur", "Adam",
                "Lucas",
            ],
        ],
    ),
];

/// First names of persons born in the Maghreb or Turkey, any decade \[est.\], female then male.
pub const FIRST_NAMES_MAGHREB: [[&str; 10]; 2] = [
    [
        "Fatima", "Khadija", "Aïcha", "Malika", "Naïma", "Nadia", "Samira", "Zahra", "Leïla",
        "Amina",
    ],
    [
        "Mohamed",
        "Ahmed",
        "Ali",
        "Karim",
        "Mustapha",
        "Rachid",
        "Youssef",
        "Saïd",
        "Abdelkader",
        "Mehmet",
    ],
];

/// Weight of the `r`-th name of a list of ten, most given first: `1 / (r + 3)`, normalised \[est.\]: about
/// 21 % for the first name of its decade, 5 % for the tenth (INSEE's file gives the ranks; these weights
/// flatten the real concentration of the top names, which the ten listed do not exhaust).
pub fn first_name_weight(r: usize) -> f64 {
    FIRST_NAME_WEIGHTS[r.min(9)]
}

const FIRST_NAME_WEIGHTS: [f64; 10] = {
    let mut w = [0.0; 10];
    let mut total = 0.0;
    let mut k = 0;
    while k < 10 {
        w[k] = 1.0 / (k as f64 + 3.0);
        total += w[k];
        k += 1;
    }
    let mut k = 0;
    while k < 10 {
        w[k] /= total;
        k += 1;
    }
    w
};

/// The list of first names for a person born in `year`, of `sex` (1 male, 2 female), in the Maghreb or
/// Turkey or not, and its index in the flat numbering of [`first_name_at`] (list index x 10).
pub fn first_name_list(year: i32, sex: u8, maghreb: bool) -> (usize, &'static [&'static str; 10]) {
    let s = usize::from(sex != 2);
    if maghreb {
        return (FIRST_NAMES_BY_DECADE.len() * 2 + s, &FIRST_NAMES_MAGHREB[s]);
    }
    let decade = ((year.clamp(1920, 2029) - 1920) / 10) as usize;
    (decade * 2 + s, &FIRST_NAMES_BY_DECADE[decade].1[s])
}

/// Number of first-name lists ([`first_name_list`]).
pub const FIRST_NAME_LISTS: usize = FIRST_NAMES_BY_DECADE.len() * 2 + 2;

/// The first name of flat index `i` (`list x 10 + rank`).
pub fn first_name_at(i: usize) -> &'static str {
    let (list, rank) = (i / 10 % FIRST_NAME_LISTS, i % 10);
    let s = list % 2;
    if list / 2 >= FIRST_NAMES_BY_DECADE.len() {
        FIRST_NAMES_MAGHREB[s][rank]
    } else {
        FIRST_NAMES_BY_DECADE[list / 2].1[s][rank]
    }
}

/// Every first name of the embedded lists.
pub fn all_first_names() -> impl Iterator<Item = &'static str> {
    FIRST_NAMES_BY_DECADE
        .iter()
        .flat_map(|(_, l)| l.iter().flatten())
        .chain(FIRST_NAMES_MAGHREB.iter().flatten())
        .copied()
}

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
    all_first_names().for_each(&mut split);
    let lists: [&[&str]; 14] = [
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
    for (_, name, _) in crate::ident::BIRTH_COUNTRIES {
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
            assert_eq!(
                t.contains("commission du {d}"),
                kind == NoteDate::Commission,
                "{t}"
            );
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
