//! Synthetic registrants: realistic, entirely made-up staff of UK health-care regulators, royal
//! colleges and NHS employers, written as the input CSV of credential issuance.
//!
//! `ledgerless synth registrants --rows N [--seed S] --out FILE` calls [`registrants_csv`].
//! The output is a pure function of `(rows, seed)`: the same arguments give the same bytes on every
//! platform (a self-contained xoshiro256** generator seeded through SplitMix64; no floating-point
//! formatting, no hash-map iteration, no clock).
//!
//! # Shape of the data
//!
//! * One line per credential. The columns are [`COLUMNS`]; an empty cell means the claim is absent.
//! * A *person* holds 1–5 credentials of distinct types, written on consecutive lines, so that
//!   `name`, `date_of_birth`, `register` and `register_number` repeat across a person's lines. Types
//!   are drawn independently per line with the weights of [`CREDENTIAL_TYPES`] (25% `RegisterEntry`,
//!   15% `LicenceToPractise`, 15% `PostgraduateQualification`, 25% `MandatoryTraining`, 10%
//!   `OccupationalHealthClearance`, 10% `Employment`); a new person starts when the current one has
//!   reached their drawn number of credentials or already holds the drawn type. The marginal type mix
//!   is therefore exactly the target mix; the last person may be cut short by `rows`.
//! * `id` is `cred-`, the seed in decimal, `-` and 8 lowercase hex digits (e.g. `cred-2026-1a2b3c4d`):
//!   the row counter through a seed-keyed bijection of `u32`, so ids are unique for up to 2³² rows
//!   (16 hex digits beyond that), never equal an id made with another seed (the seed is part of
//!   it: files of several seeds can be issued into one log), and carry no personal data.
//! * Register numbers have the shapes of the real registers (GMC: 7 digits, first 1–7; NMC PIN:
//!   `19A2345E`, year and month letter of first registration, region letter last, `O` for overseas;
//!   GPhC: 7 digits starting with 2; HCPC: `PA`/`PH`/`RA`/`OT` and 5–6 digits). They are seed-keyed
//!   permutations of per-register counters, so two persons never share a number (until a register's
//!   space is exhausted, e.g. beyond 7 million doctors, when numbers fall back to random ones).
//!   None of them is checked against, or intended to match, a real register.
//! * Validity: every row has `valid_from`; `valid_until` follows the type (licence: the register's
//!   revalidation/renewal cycle, 5 years for the GMC; register entry: open-ended for the GMC, annual
//!   renewal elsewhere; mandatory training: the module's refresher period of 1–3 years; occupational
//!   health: 3 years; postgraduate qualification: none; employment: only fixed-term contracts).
//!   All dates lie in 2015-01-01..=2030-12-31, `valid_from <= valid_until`, no `valid_from` lies after
//!   [`AS_OF`] (2026-11-21), and about 3% of rows have already expired at [`AS_OF`] (an expired
//!   register entry or licence has status `lapsed`). Ages are 22–68 at 2026-01-01.
//! * `LicenceToPractise` is modelled for every register (in reality only the GMC issues a "licence";
//!   for the other registers it stands for the current registration period).
//! * Text is UTF-8 (a few names carry diacritics, e.g. `Siân`, `João`); lines end in `\n`; fields
//!   containing a comma, a double quote or a line break are quoted as in RFC 4180.

use ::synth::{
    Rng, add_months, civil_from_days, days_from_civil, permute_below, permute32, permute64, push_decimal,
};

/// The credential types rows may have, as written in the `type` column.
pub const CREDENTIAL_TYPES: [&str; 6] = [
    "LicenceToPractise",
    "RegisterEntry",
    "PostgraduateQualification",
    "MandatoryTraining",
    "OccupationalHealthClearance",
    "Employment",
];

/// The CSV columns, in order, as written in the header line.
pub const COLUMNS: [&str; 17] = [
    "id",
    "type",
    "valid_from",
    "valid_until",
    "name",
    "date_of_birth",
    "register",
    "register_number",
    "profession",
    "specialty",
    "status",
    "qualification",
    "awarding_body",
    "training_module",
    "clearance",
    "employer",
    "role",
];

/// The reference day for validity: about 3% of rows have a `valid_until` before it, and no
/// `valid_from` lies after it. ISO 8601.
pub const AS_OF: &str = "2026-11-21";

/// Writes `rows` synthetic registrants as CSV (header + one line per credential) to `out`,
/// deterministic for `seed`.
pub fn registrants_csv<W: std::io::Write>(rows: u64, seed: u64, mut out: W) -> std::io::Result<()> {
    let mut generator = Generator::new(seed);
    let mut buf: Vec<u8> = Vec::with_capacity(BUF_FLUSH + 1024);
    for (i, column) in COLUMNS.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(column.as_bytes());
    }
    buf.push(b'\n');
    let mut person = generator.person();
    for index in 0..rows {
        let ty = generator.rng.weighted(&TYPE_WEIGHTS);
        if person.count >= person.target || person.held & (1 << ty) != 0 {
            person = generator.person();
        }
        person.count += 1;
        person.held |= 1 << ty;
        generator.row(&mut buf, index, &person, ty);
        if buf.len() >= BUF_FLUSH {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()
}

/// Bytes gathered before handing them to the writer.
const BUF_FLUSH: usize = 1 << 16;

// Indices into CREDENTIAL_TYPES.
const LICENCE: usize = 0;
const REGISTER_ENTRY: usize = 1;
const QUALIFICATION: usize = 2;
const TRAINING: usize = 3;
const CLEARANCE: usize = 4;
const EMPLOYMENT: usize = 5;

const TYPE_WEIGHTS: [(usize, u32); 6] = [
    (LICENCE, 15),
    (REGISTER_ENTRY, 25),
    (QUALIFICATION, 15),
    (TRAINING, 25),
    (CLEARANCE, 10),
    (EMPLOYMENT, 10),
];

/// Ages by decade (the 20s start at 22 or 24, the 60s end at 68).
const AGE_DECADES: [(i32, u32); 5] = [(20, 15), (30, 27), (40, 26), (50, 24), (60, 8)];

/// Credentials per person (before the distinct-type rule ends some persons early).
const PER_PERSON: [(u8, u32); 5] = [(1, 15), (2, 20), (3, 25), (4, 25), (5, 15)];

/// Probability that a row with an expiry date has already expired. Postgraduate qualifications
/// (15% of rows) never expire, so `0.03 / 0.85` of the others make 3% of all rows.
const EXPIRED_SHARE: f64 = 0.03 / 0.85;

// ---------------------------------------------------------------------------------------------
// Dates, as days since 1970-01-01.

const AS_OF_DAY: i32 = days_from_civil(2026, 11, 21);
const AGE_REF_YEAR: i32 = 2026; // ages are counted at 1 January of this year
const FIRST_DAY: i32 = days_from_civil(2015, 1, 1);
const LAST_DAY: i32 = days_from_civil(2030, 12, 31);
const YEAR: i32 = 365;

// ---------------------------------------------------------------------------------------------
// Output helpers.

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_date(b: &mut Vec<u8>, day: i32) {
    let (y, m, d) = civil_from_days(day);
    push_decimal(b, u64::from(y.unsigned_abs()), 4);
    b.push(b'-');
    push_decimal(b, u64::from(m), 2);
    b.push(b'-');
    push_decimal(b, u64::from(d), 2);
}

/// Appends one CSV field, quoted as RFC 4180 requires.
fn push_field(b: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r')) {
        b.push(b'"');
        for c in s.bytes() {
            if c == b'"' {
                b.push(b'"');
            }
            b.push(c);
        }
        b.push(b'"');
    } else {
        b.extend_from_slice(s.as_bytes());
    }
}

/// A short identifier built on the stack.
#[derive(Clone, Copy)]
struct Code {
    bytes: [u8; 12],
    len: usize,
}

impl Code {
    const EMPTY: Code = Code { bytes: [0; 12], len: 0 };

    fn push(&mut self, c: u8) {
        if self.len < self.bytes.len() {
            self.bytes[self.len] = c;
            self.len += 1;
        }
    }

    fn push_str(&mut self, s: &str) {
        for c in s.bytes() {
            self.push(c);
        }
    }

    fn push_digits(&mut self, v: u64, width: u32) {
        for i in (0..width).rev() {
            self.push(b'0' + (v / 10u64.pow(i) % 10) as u8);
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

// ---------------------------------------------------------------------------------------------
// Professions and registers.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Profession {
    Doctor,
    Nurse,
    Midwife,
    Pharmacist,
    Paramedic,
    Physiotherapist,
    Radiographer,
    OccupationalTherapist,
}

use Profession::*;

const PROFESSION_WEIGHTS: [(Profession, u32); 8] = [
    (Doctor, 30),
    (Nurse, 40),
    (Midwife, 5),
    (Pharmacist, 6),
    (Paramedic, 6),
    (Physiotherapist, 6),
    (Radiographer, 4),
    (OccupationalTherapist, 3),
];

impl Profession {
    fn name(self) -> &'static str {
        match self {
            Doctor => "doctor",
            Nurse => "nurse",
            Midwife => "midwife",
            Pharmacist => "pharmacist",
            Paramedic => "paramedic",
            Physiotherapist => "physiotherapist",
            Radiographer => "radiographer",
            OccupationalTherapist => "occupational therapist",
        }
    }

    fn register(self) -> &'static str {
        match self {
            Doctor => "GMC",
            Nurse | Midwife => "NMC",
            Pharmacist => "GPhC",
            _ => "HCPC",
        }
    }

    /// Index into `Generator::hcpc` and `HCPC_PREFIXES`.
    fn hcpc_part(self) -> usize {
        match self {
            Paramedic => 0,
            Physiotherapist => 1,
            Radiographer => 2,
            _ => 3,
        }
    }

    fn female_share(self) -> f64 {
        match self {
            Doctor => 0.52,
            Nurse => 0.89,
            Midwife => 0.99,
            Pharmacist => 0.62,
            Paramedic => 0.42,
            Physiotherapist => 0.74,
            Radiographer => 0.72,
            OccupationalTherapist => 0.90,
        }
    }

    /// Row of `GROUP_WEIGHTS`.
    fn name_class(self) -> usize {
        match self {
            Doctor => 0,
            Nurse | Midwife => 1,
            Pharmacist => 2,
            _ => 3,
        }
    }

    /// Months between renewals of a licence (revalidation for the GMC and NMC).
    fn licence_months(self) -> i32 {
        match self {
            Doctor => 60,
            Nurse | Midwife => 36,
            Pharmacist => 12,
            _ => 24,
        }
    }
}

const HCPC_PREFIXES: [&str; 4] = ["PA", "PH", "RA", "OT"];
const NMC_REGIONS: [(u8, u32); 4] = [(b'E', 82), (b'S', 9), (b'W', 5), (b'N', 4)];
const NMC_REGION_LETTERS: [u8; 5] = [b'E', b'S', b'W', b'N', b'O'];

struct Specialty {
    name: &'static str,
    weight: u32,
    /// Addressed as Mr/Miss/Ms once qualified (surgeons and obstetricians).
    surgical: bool,
    /// Performs exposure-prone procedures.
    epp: bool,
    quals: &'static [(&'static str, &'static str)],
}

const RCP: &str = "Royal College of Physicians";
const MRCP: (&str, &str) = ("MRCP(UK)", RCP);

const DOCTOR_SPECIALTIES: [Specialty; 18] = [
    Specialty {
        name: "General Practice",
        weight: 25,
        surgical: false,
        epp: false,
        quals: &[("MRCGP", "Royal College of General Practitioners")],
    },
    Specialty { name: "Acute Internal Medicine", weight: 4, surgical: false, epp: false, quals: &[MRCP] },
    Specialty {
        name: "Cardiology",
        weight: 3,
        surgical: false,
        epp: false,
        quals: &[MRCP, ("MRCP(UK)", "Royal College of Physicians of Edinburgh")],
    },
    Specialty { name: "Respiratory Medicine", weight: 3, surgical: false, epp: false, quals: &[MRCP] },
    Specialty { name: "Gastroenterology", weight: 3, surgical: false, epp: false, quals: &[MRCP] },
    Specialty { name: "Geriatric Medicine", weight: 4, surgical: false, epp: false, quals: &[MRCP] },
    Specialty {
        name: "Oncology",
        weight: 3,
        surgical: false,
        epp: false,
        quals: &[MRCP, ("FRCR (Clinical Oncology)", "Royal College of Radiologists")],
    },
    Specialty {
        name: "Anaesthetics",
        weight: 8,
        surgical: false,
        epp: false,
        quals: &[("FRCA", "Royal College of Anaesthetists")],
    },
    Specialty {
        name: "Intensive Care Medicine",
        weight: 2,
        surgical: false,
        epp: false,
        quals: &[("FFICM", "Faculty of Intensive Care Medicine"), ("FRCA", "Royal College of Anaesthetists")],
    },
    Specialty {
        name: "Emergency Medicine",
        weight: 6,
        surgical: false,
        epp: true,
        quals: &[("FRCEM", "Royal College of Emergency Medicine")],
    },
    Specialty {
        name: "Paediatrics",
        weight: 6,
        surgical: false,
        epp: false,
        quals: &[("MRCPCH", "Royal College of Paediatrics and Child Health")],
    },
    Specialty {
        name: "Psychiatry",
        weight: 7,
        surgical: false,
        epp: false,
        quals: &[("MRCPsych", "Royal College of Psychiatrists")],
    },
    Specialty {
        name: "General Surgery",
        weight: 5,
        surgical: true,
        epp: true,
        quals: &[
            ("FRCS", "Royal College of Surgeons of England"),
            ("FRCS", "Royal College of Surgeons of Edinburgh"),
            ("MRCS", "Royal College of Physicians and Surgeons of Glasgow"),
            ("MRCS", "Royal College of Surgeons of England"),
        ],
    },
    Specialty {
        name: "Trauma and Orthopaedic Surgery",
        weight: 4,
        surgical: true,
        epp: true,
        quals: &[
            ("FRCS (Tr & Orth)", "Royal College of Surgeons of England"),
            ("FRCS (Tr & Orth)", "Royal College of Surgeons of Edinburgh"),
            ("MRCS", "Royal College of Surgeons of England"),
        ],
    },
    Specialty {
        name: "Obstetrics and Gynaecology",
        weight: 4,
        surgical: true,
        epp: true,
        quals: &[("MRCOG", "Royal College of Obstetricians and Gynaecologists")],
    },
    Specialty {
        name: "Radiology",
        weight: 4,
        surgical: false,
        epp: false,
        quals: &[("FRCR", "Royal College of Radiologists")],
    },
    Specialty {
        name: "Histopathology",
        weight: 2,
        surgical: false,
        epp: false,
        quals: &[("FRCPath", "Royal College of Pathologists")],
    },
    Specialty {
        name: "Ophthalmology",
        weight: 2,
        surgical: false,
        epp: true,
        quals: &[("FRCOphth", "Royal College of Ophthalmologists")],
    },
];

/// The NMC's fields of nursing practice.
const NURSE_FIELDS: [(&str, u32); 4] =
    [("Adult", 74), ("Children's", 11), ("Mental Health", 12), ("Learning Disabilities", 3)];

const UNIVERSITIES: [&str; 20] = [
    "King's College London",
    "University of Manchester",
    "University of Nottingham",
    "City St George's, University of London",
    "University of Birmingham",
    "Cardiff University",
    "University of Leeds",
    "Queen's University Belfast",
    "University of Edinburgh",
    "University of Glasgow",
    "Keele University",
    "University of Southampton",
    "Sheffield Hallam University",
    "Oxford Brookes University",
    "University of the West of England, Bristol",
    "Ulster University",
    "Glasgow Caledonian University",
    "Canterbury Christ Church University",
    "Birmingham City University",
    "University of Salford",
];

const EARLY_DOCTOR_QUALS: [&str; 2] =
    ["Postgraduate Certificate in Medical Education", "Postgraduate Certificate in Clinical Education"];
const NURSE_QUALS: [&str; 5] = [
    "Non-Medical Prescribing (V300)",
    "MSc Advanced Clinical Practice",
    "Specialist Community Public Health Nursing",
    "Postgraduate Certificate in Critical Care Nursing",
    "Postgraduate Certificate in Tissue Viability",
];
const MIDWIFE_QUALS: [&str; 3] = [
    "Non-Medical Prescribing (V300)",
    "MSc Advanced Midwifery Practice",
    "Postgraduate Certificate in Newborn and Infant Physical Examination",
];
const PHARMACIST_QUALS: [&str; 3] = [
    "Pharmacist Independent Prescribing",
    "Postgraduate Diploma in Clinical Pharmacy",
    "MSc Advanced Clinical Practice",
];
const PARAMEDIC_QUALS: [&str; 3] = [
    "Independent Prescribing",
    "MSc Advanced Clinical Practice",
    "Postgraduate Certificate in Critical Care",
];
const PHYSIO_QUALS: [&str; 3] =
    ["MSc Advanced Musculoskeletal Practice", "Independent Prescribing", "MSc Advanced Clinical Practice"];
const RADIOGRAPHER_QUALS: [&str; 3] = [
    "Postgraduate Certificate in Medical Image Reporting",
    "MSc Medical Ultrasound",
    "Postgraduate Certificate in Mammography",
];
const OT_QUALS: [&str; 2] =
    ["MSc Advanced Occupational Therapy", "Postgraduate Certificate in Sensory Integration"];

/// Statutory and mandatory training modules with their refresher periods in months.
const TRAINING_MODULES: [(&str, i32); 13] = [
    ("Basic Life Support", 12),
    ("Immediate Life Support", 12),
    ("Safeguarding Adults Level 3", 36),
    ("Safeguarding Children Level 3", 36),
    ("Information Governance", 12),
    ("Fire Safety", 24),
    ("Infection Prevention and Control", 12),
    ("Moving and Handling", 24),
    ("Conflict Resolution", 36),
    ("Equality, Diversity and Human Rights", 36),
    ("Health, Safety and Welfare", 36),
    ("Preventing Radicalisation", 36),
    ("Oliver McGowan Mandatory Training on Learning Disability and Autism", 36),
];

const EPP_CLEARED: &str = "EPP cleared (hepatitis B/C, HIV)";
const CLEARANCES: [(&str, u32); 4] =
    [("fit for role", 70), ("fit with adjustments", 9), ("immunisations up to date", 13), (EPP_CLEARED, 8)];
const OH_CLEARANCE_MONTHS: i32 = 36;

const ACUTE_EMPLOYERS: [&str; 26] = [
    "Manchester University NHS Foundation Trust",
    "Guy's and St Thomas' NHS Foundation Trust",
    "Leeds Teaching Hospitals NHS Trust",
    "University Hospitals Birmingham NHS Foundation Trust",
    "Barts Health NHS Trust",
    "Imperial College Healthcare NHS Trust",
    "Oxford University Hospitals NHS Foundation Trust",
    "Cambridge University Hospitals NHS Foundation Trust",
    "The Newcastle upon Tyne Hospitals NHS Foundation Trust",
    "Sheffield Teaching Hospitals NHS Foundation Trust",
    "Nottingham University Hospitals NHS Trust",
    "University Hospitals Bristol and Weston NHS Foundation Trust",
    "Liverpool University Hospitals NHS Foundation Trust",
    "King's College Hospital NHS Foundation Trust",
    "University College London Hospitals NHS Foundation Trust",
    "Royal Free London NHS Foundation Trust",
    "University Hospitals of Leicester NHS Trust",
    "Norfolk and Norwich University Hospitals NHS Foundation Trust",
    "Royal Cornwall Hospitals NHS Trust",
    "Hull University Teaching Hospitals NHS Trust",
    "Lancashire Teaching Hospitals NHS Foundation Trust",
    "Cardiff and Vale University Health Board",
    "Betsi Cadwaladr University Health Board",
    "NHS Greater Glasgow and Clyde",
    "NHS Lothian",
    "Belfast Health and Social Care Trust",
];

const MENTAL_HEALTH_EMPLOYERS: [&str; 6] = [
    "South London and Maudsley NHS Foundation Trust",
    "Oxford Health NHS Foundation Trust",
    "Greater Manchester Mental Health NHS Foundation Trust",
    "Tees, Esk and Wear Valleys NHS Foundation Trust",
    "Leeds and York Partnership NHS Foundation Trust",
    "Mersey Care NHS Foundation Trust",
];

const AMBULANCE_EMPLOYERS: [&str; 7] = [
    "London Ambulance Service NHS Trust",
    "North West Ambulance Service NHS Trust",
    "Yorkshire Ambulance Service NHS Trust",
    "West Midlands Ambulance Service University NHS Foundation Trust",
    "South Western Ambulance Service NHS Foundation Trust",
    "Welsh Ambulance Services University NHS Trust",
    "Scottish Ambulance Service",
];

const GP_PRACTICES: [&str; 8] = [
    "Riverside Medical Practice",
    "Park View Surgery",
    "The Old School Surgery",
    "Castle Street Medical Centre",
    "Greenbank Health Centre",
    "Abbey Meads Medical Group",
    "St John's Way Medical Centre",
    "Brook Lane Surgery",
];

/// A post: title, weight, and the age range (at 1 January 2026) in which it is plausible.
type Role = (&'static str, u32, i32, i32);

const NURSE_ROLES: [Role; 7] = [
    ("Staff Nurse", 40, 22, 68),
    ("Senior Staff Nurse", 15, 25, 68),
    ("Ward Sister", 14, 28, 68),
    ("District Nurse", 7, 28, 68),
    ("Clinical Nurse Specialist", 12, 30, 68),
    ("Advanced Nurse Practitioner", 8, 32, 68),
    ("Matron", 4, 35, 68),
];
const MENTAL_HEALTH_NURSE_ROLES: [Role; 6] = [
    ("Staff Nurse", 35, 22, 68),
    ("Community Mental Health Nurse", 25, 25, 68),
    ("Ward Manager", 14, 28, 68),
    ("Clinical Nurse Specialist", 12, 30, 68),
    ("Advanced Nurse Practitioner", 8, 32, 68),
    ("Matron", 4, 35, 68),
];
const MIDWIFE_ROLES: [Role; 5] = [
    ("Midwife", 50, 22, 68),
    ("Community Midwife", 20, 25, 68),
    ("Senior Midwife", 15, 28, 68),
    ("Specialist Midwife", 10, 30, 68),
    ("Consultant Midwife", 2, 40, 68),
];
const PHARMACIST_ROLES: [Role; 4] = [
    ("Clinical Pharmacist", 40, 22, 68),
    ("Specialist Pharmacist", 30, 27, 68),
    ("Advanced Pharmacist", 20, 30, 68),
    ("Lead Pharmacist", 10, 35, 68),
];
const PARAMEDIC_ROLES: [Role; 4] = [
    ("Newly Qualified Paramedic", 10, 22, 32),
    ("Paramedic", 55, 22, 68),
    ("Specialist Paramedic", 20, 27, 68),
    ("Advanced Paramedic", 12, 30, 68),
];
const PHYSIO_ROLES: [Role; 4] = [
    ("Physiotherapist", 35, 22, 68),
    ("Senior Physiotherapist", 35, 25, 68),
    ("Clinical Specialist Physiotherapist", 20, 30, 68),
    ("Advanced Practitioner Physiotherapist", 10, 33, 68),
];
const RADIOGRAPHER_ROLES: [Role; 4] = [
    ("Diagnostic Radiographer", 50, 22, 68),
    ("Senior Radiographer", 20, 26, 68),
    ("Therapeutic Radiographer", 20, 22, 68),
    ("Reporting Radiographer", 10, 32, 68),
];
const OT_ROLES: [Role; 3] = [
    ("Occupational Therapist", 45, 22, 68),
    ("Senior Occupational Therapist", 40, 25, 68),
    ("Clinical Lead Occupational Therapist", 15, 32, 68),
];

// ---------------------------------------------------------------------------------------------
// Names. Groups reflect the UK health workforce; no entry contains a comma or a quote.

struct NameGroup {
    female: &'static [&'static str],
    male: &'static [&'static str],
    family: &'static [&'static str],
    /// Nurses and midwives of this group were often recruited from abroad (NMC region `O`).
    overseas: bool,
}

#[rustfmt::skip]
const NAME_GROUPS: [NameGroup; 13] = [
    // British (English, Scottish, Welsh)
    NameGroup {
        female: &["Olivia", "Emma", "Sophie", "Charlotte", "Hannah", "Rebecca", "Sarah", "Laura", "Emily",
            "Claire", "Rachel", "Gemma", "Jessica", "Lucy", "Katherine", "Helen", "Amy", "Eleanor", "Megan",
            "Rhiannon", "Catriona", "Fiona", "Alison", "Joanne", "Siân", "Victoria", "Natalie"],
        male: &["James", "Thomas", "Oliver", "William", "Daniel", "Matthew", "David", "Andrew", "Richard",
            "Christopher", "Jack", "Samuel", "Benjamin", "Robert", "Alistair", "Callum", "Gareth", "Rhys",
            "Euan", "Stuart", "Mark", "Iain", "Dafydd", "Philip"],
        family: &["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
            "Johnson", "Roberts", "Robinson", "Wright", "Walker", "Wood", "Hughes", "Edwards", "Green",
            "Hall", "Clarke", "Mitchell", "Campbell", "Stewart", "MacDonald", "Fraser", "Griffiths",
            "Morgan", "Harrison", "Turner", "Cooper", "Bennett", "Lloyd", "Pritchard", "McKenzie",
            "Ashworth", "Whitfield"],
        overseas: false,
    },
    // Irish
    NameGroup {
        female: &["Siobhan", "Aoife", "Niamh", "Ciara", "Orla", "Sinead", "Roisin", "Grainne", "Mairead",
            "Aisling"],
        male: &["Ciaran", "Sean", "Padraig", "Eoin", "Declan", "Cathal", "Conor", "Niall", "Fergal",
            "Seamus"],
        family: &["O'Brien", "Murphy", "Kelly", "O'Sullivan", "Byrne", "Ryan", "O'Connor", "Doherty",
            "McCarthy", "Gallagher", "Quinn", "Brennan", "Kavanagh", "McLaughlin", "O'Neill", "Fitzgerald"],
        overseas: false,
    },
    // South Asian: Indian and Sri Lankan
    NameGroup {
        female: &["Priya", "Anjali", "Sunita", "Nisha", "Kavitha", "Deepa", "Shreya", "Harpreet", "Meera",
            "Lakshmi", "Pooja", "Nirmala"],
        male: &["Rajesh", "Arjun", "Sanjay", "Vikram", "Rahul", "Gurpreet", "Kiran", "Sandeep", "Anil",
            "Sunil", "Ravi", "Manoj", "Dinesh"],
        family: &["Patel", "Shah", "Singh", "Sharma", "Gupta", "Kumar", "Desai", "Mehta", "Reddy", "Nair",
            "Krishnan", "Bhatt", "Sandhu", "Gill", "Rao", "Perera", "Fernando", "Iyer", "Joshi"],
        overseas: true,
    },
    // South Asian: Pakistani and Bangladeshi
    NameGroup {
        female: &["Aisha", "Fatima", "Ayesha", "Zainab", "Farah", "Sana", "Nusrat", "Sadia", "Rukhsana",
            "Saima"],
        male: &["Mohammed", "Imran", "Amir", "Hamza", "Omar", "Zubair", "Faisal", "Asif", "Usman", "Bilal"],
        family: &["Khan", "Ahmed", "Hussain", "Iqbal", "Chaudhry", "Rahman", "Malik", "Siddiqui",
            "Choudhury", "Akhtar", "Butt", "Qureshi", "Mahmood", "Islam", "Uddin"],
        overseas: true,
    },
    // Keralan and other South Indian Christian
    NameGroup {
        female: &["Mary", "Jincy", "Anu", "Shiny", "Bincy", "Reshma", "Smitha", "Teena", "Divya", "Liji"],
        male: &["Jose", "Biju", "Shibu", "Jomon", "Anish", "Saju", "Binoy", "Tijo"],
        family: &["Thomas", "Joseph", "Varghese", "Mathew", "George", "Kurian", "Jacob", "Abraham",
            "Philip", "Chacko", "Antony", "Sebastian"],
        overseas: true,
    },
    // West African
    NameGroup {
        female: &["Adaeze", "Ngozi", "Chioma", "Folake", "Abena", "Efua", "Yetunde", "Funmilayo",
            "Blessing", "Amaka", "Temitope", "Adwoa", "Oluwatoyin", "Aminata"],
        male: &["Chukwuemeka", "Oluwaseun", "Kwame", "Kofi", "Babatunde", "Olumide", "Emeka", "Tunde",
            "Kwabena", "Obinna", "Ifeanyi", "Yaw", "Segun", "Mamadou"],
        family: &["Okafor", "Adeyemi", "Mensah", "Boateng", "Okonkwo", "Adebayo", "Oyelaran", "Asante",
            "Owusu", "Nwosu", "Eze", "Ogunleye", "Bamidele", "Osei", "Appiah", "Afolabi", "Bangura",
            "Danso"],
        overseas: true,
    },
    // Caribbean
    NameGroup {
        female: &["Marcia", "Andrea", "Donna", "Beverley", "Simone", "Janelle", "Paulette", "Claudette"],
        male: &["Delroy", "Winston", "Leon", "Marlon", "Andre", "Clive", "Desmond", "Errol"],
        family: &["Campbell", "Francis", "Thompson", "Richards", "Henry", "Bailey", "Gordon", "Baptiste",
            "Grant", "Forbes", "Spencer", "Lewis", "Samuels", "McFarlane"],
        overseas: false,
    },
    // East Asian
    NameGroup {
        female: &["Mei", "Jing", "Xin", "Hui Min", "Yan", "Li Na", "Wing", "Eun-ji"],
        male: &["Wei", "Jun", "Hao", "Ming", "Chi Keung", "Kenji", "Jia Hao", "Min-jun"],
        family: &["Wong", "Chan", "Li", "Zhang", "Wang", "Chen", "Liu", "Lim", "Tan", "Ng", "Cheung", "Lau",
            "Kim"],
        overseas: false,
    },
    // Filipino
    NameGroup {
        female: &["Maria", "Rowena", "Maricel", "Jocelyn", "Cristina", "Analyn", "Marites", "Rhea", "Joy"],
        male: &["Ramon", "Rodel", "Jerome", "Mark Anthony", "Noel", "Arnel", "Jonathan"],
        family: &["Santos", "Reyes", "Cruz", "Bautista", "Mendoza", "dela Cruz", "Villanueva", "Ramos",
            "Aquino", "Castillo", "Domingo", "Navarro"],
        overseas: true,
    },
    // Eastern European
    NameGroup {
        female: &["Agnieszka", "Katarzyna", "Magdalena", "Ioana", "Elena", "Andreea", "Ewa", "Monika",
            "Lenka"],
        male: &["Piotr", "Tomasz", "Krzysztof", "Andrei", "Mihai", "Bogdan", "Marek", "Pavel", "Lukas"],
        family: &["Nowak", "Wójcik", "Kaczmarek", "Mazur", "Krawczyk", "Popescu", "Ionescu", "Dumitru",
            "Popa", "Horvath", "Novak", "Kovac", "Zielinski"],
        overseas: false,
    },
    // Southern European
    NameGroup {
        female: &["Ana", "Sofia", "Giulia", "Inês", "Marta", "Eleni", "Francesca", "Lucia"],
        male: &["João", "Miguel", "Pedro", "Luca", "Marco", "Giorgos", "Nikos", "Javier", "Alejandro"],
        family: &["Silva", "Santos", "Ferreira", "Pereira", "Rodrigues", "Rossi", "Romano", "Esposito",
            "Garcia", "Fernandez", "Martinez", "Papadopoulos", "Georgiou", "Costa"],
        overseas: false,
    },
    // Middle Eastern and North African
    NameGroup {
        female: &["Layla", "Mariam", "Nour", "Yasmin", "Rania", "Dina", "Huda"],
        male: &["Ahmed", "Khalid", "Youssef", "Tariq", "Karim", "Omar", "Samir", "Hassan"],
        family: &["Hassan", "Ali", "Ibrahim", "Mahmoud", "Haddad", "Mansour", "Abdullah", "El-Sayed",
            "Nasser", "Saleh", "Khalil"],
        overseas: false,
    },
    // Southern African
    NameGroup {
        female: &["Tendai", "Nyasha", "Chipo", "Rutendo", "Thandiwe", "Precious", "Tsitsi", "Nomvula"],
        male: &["Tatenda", "Farai", "Tafadzwa", "Sipho", "Themba", "Tinashe", "Kudakwashe"],
        family: &["Moyo", "Ncube", "Dube", "Sibanda", "Chikwanha", "Mhlanga", "Ndlovu", "Nkosi", "Mutasa",
            "Banda", "Phiri", "Mapfumo"],
        overseas: true,
    },
];

/// Name-group weights (per `NAME_GROUPS`) for doctors, nurses and midwives, pharmacists, and the
/// allied health professions.
const GROUP_WEIGHTS: [[(usize, u32); 13]; 4] = [
    [
        (0, 46),
        (1, 4),
        (2, 14),
        (3, 11),
        (4, 1),
        (5, 6),
        (6, 1),
        (7, 4),
        (8, 1),
        (9, 2),
        (10, 4),
        (11, 5),
        (12, 1),
    ],
    [
        (0, 52),
        (1, 4),
        (2, 6),
        (3, 2),
        (4, 7),
        (5, 9),
        (6, 3),
        (7, 1),
        (8, 7),
        (9, 3),
        (10, 3),
        (11, 1),
        (12, 3),
    ],
    [
        (0, 40),
        (1, 3),
        (2, 16),
        (3, 14),
        (4, 2),
        (5, 8),
        (6, 2),
        (7, 6),
        (8, 1),
        (9, 2),
        (10, 3),
        (11, 2),
        (12, 1),
    ],
    [
        (0, 70),
        (1, 5),
        (2, 3),
        (3, 3),
        (4, 1),
        (5, 4),
        (6, 3),
        (7, 2),
        (8, 1),
        (9, 3),
        (10, 3),
        (11, 1),
        (12, 1),
    ],
];

// ---------------------------------------------------------------------------------------------
// Persons and rows.

struct Person {
    profession: Profession,
    female: bool,
    age: i32,
    title: &'static str,
    given: &'static str,
    family: &'static str,
    /// Second half of a double-barrelled family name, or empty.
    family2: &'static str,
    dob: i32,
    /// First registration with the regulator.
    registered: i32,
    register_number: Code,
    /// Index into `DOCTOR_SPECIALTIES` (doctors only).
    doctor_specialty: usize,
    specialty: &'static str,
    /// Fitness-to-practise state: 0 clear, 1 conditions, 2 suspended.
    sanction: u8,
    /// Bit set of the credential types written so far.
    held: u8,
    count: u8,
    target: u8,
}

struct Generator {
    rng: Rng,
    /// The seed: part of every id, so that ids of different seeds never collide.
    seed: u64,
    id_key: u64,
    number_key: u64,
    gmc: u64,
    gphc: u64,
    hcpc: [u64; 4],
    /// Per (two-digit year, month, region) counters of NMC PINs.
    nmc: Vec<u16>,
}

impl Generator {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let id_key = rng.next_u64();
        let number_key = rng.next_u64();
        Generator {
            rng,
            seed,
            id_key,
            number_key,
            gmc: 0,
            gphc: 0,
            hcpc: [0; 4],
            nmc: vec![0; 100 * 12 * NMC_REGION_LETTERS.len()],
        }
    }

    fn person(&mut self) -> Person {
        let r = &mut self.rng;
        let profession = r.weighted(&PROFESSION_WEIGHTS);
        let female = r.chance(profession.female_share());
        let weights = &GROUP_WEIGHTS[profession.name_class()];
        let group = &NAME_GROUPS[r.weighted(weights)];
        let given = if female { r.pick(group.female) } else { r.pick(group.male) };
        let family_group = if r.chance(0.12) { &NAME_GROUPS[r.weighted(weights)] } else { group };
        let family = r.pick(family_group.family);
        let family2 = if r.chance(0.02) { r.pick(NAME_GROUPS[0].family) } else { "" };
        let family2 = if family2 == family { "" } else { family2 };

        // Age at 1 January 2026 by decade, roughly as in the NHS workforce; doctors start at 24.
        let min_age = if profession == Doctor { 24 } else { 22 };
        let age = match r.weighted(&AGE_DECADES) {
            20 => r.range(min_age, 29),
            60 => r.range(60, 68),
            decade => r.range(decade, decade + 9),
        };
        let year = AGE_REF_YEAR - age;
        let dob = r.range(days_from_civil(year - 1, 1, 2), days_from_civil(year, 1, 1));

        let (doctor_specialty, specialty) = match profession {
            Doctor => {
                let total: u32 = DOCTOR_SPECIALTIES.iter().map(|s| s.weight).sum();
                let mut x = r.below(u64::from(total)) as u32;
                let mut index = 0;
                for (i, s) in DOCTOR_SPECIALTIES.iter().enumerate() {
                    index = i;
                    if x < s.weight {
                        break;
                    }
                    x -= s.weight;
                }
                (index, DOCTOR_SPECIALTIES[index].name)
            }
            Nurse => (0, r.weighted(&NURSE_FIELDS)),
            _ => (0, ""),
        };

        let title = match profession {
            Doctor => {
                let s = &DOCTOR_SPECIALTIES[doctor_specialty];
                if s.surgical && age >= 32 && r.chance(0.8) {
                    if !female {
                        "Mr "
                    } else if r.chance(0.4) {
                        "Miss "
                    } else {
                        "Ms "
                    }
                } else if age >= 50 && r.chance(0.03) {
                    "Professor "
                } else {
                    "Dr "
                }
            }
            _ if r.chance(0.015) => "Dr ",
            _ => "",
        };

        let nmc = matches!(profession, Nurse | Midwife);
        let overseas = nmc && group.overseas && r.chance(0.6);
        let (lo, hi) = match (profession, overseas) {
            (Doctor, _) => (23, 27),
            (_, true) => (25, 40),
            _ => (21, 25),
        };
        let years = |y: i32| y * YEAR + y / 4;
        let mut registered = dob + r.range(years(lo), years(hi));
        if registered > AS_OF_DAY - 30 {
            registered = r.range(dob + years(21), AS_OF_DAY - 30);
        }

        let sanction = match r.below(1000) {
            0..=974 => 0,
            975..=990 => 1,
            _ => 2,
        };
        let target = r.weighted(&PER_PERSON);

        let register_number = self.register_number(profession, registered, overseas);
        Person {
            profession,
            female,
            age,
            title,
            given,
            family,
            family2,
            dob,
            registered,
            register_number,
            doctor_specialty,
            specialty,
            sanction,
            held: 0,
            count: 0,
            target,
        }
    }

    /// A register number unique among this output's persons (see the module documentation).
    fn register_number(&mut self, profession: Profession, registered: i32, overseas: bool) -> Code {
        let mut code = Code::EMPTY;
        let key = self.number_key;
        match profession {
            Doctor => {
                const N: u64 = 7_000_000;
                let n = if self.gmc < N { permute_below(self.gmc, N, 23, key) } else { self.rng.below(N) };
                self.gmc += 1;
                code.push_digits(1_000_000 + n, 7);
            }
            Pharmacist => {
                const N: u64 = 1_000_000;
                let n = if self.gphc < N {
                    permute_below(self.gphc, N, 20, key ^ 0x6770_6863)
                } else {
                    self.rng.below(N)
                };
                self.gphc += 1;
                code.push_digits(2_000_000 + n, 7);
            }
            Nurse | Midwife => {
                let (y, m, _) = civil_from_days(registered);
                let yy = y.rem_euclid(100) as usize;
                let region = if overseas {
                    NMC_REGION_LETTERS.len() - 1
                } else {
                    let letter = self.rng.weighted(&NMC_REGIONS);
                    NMC_REGION_LETTERS.iter().position(|&c| c == letter).unwrap_or(0)
                };
                let bucket = (yy * 12 + (m as usize - 1)) * NMC_REGION_LETTERS.len() + region;
                let counter = self.nmc.get(bucket).copied().unwrap_or(u16::MAX);
                let n = if counter < 10_000 {
                    if let Some(c) = self.nmc.get_mut(bucket) {
                        *c += 1;
                    }
                    permute_below(u64::from(counter), 10_000, 14, key.rotate_left(bucket as u32 % 64))
                } else {
                    self.rng.below(10_000)
                };
                code.push_digits(yy as u64, 2);
                code.push(b'A' + (m - 1) as u8);
                code.push_digits(n, 4);
                code.push(NMC_REGION_LETTERS[region]);
            }
            _ => {
                const N: u64 = 990_000;
                let part = profession.hcpc_part();
                let n = if self.hcpc[part] < N {
                    permute_below(self.hcpc[part], N, 20, key.rotate_left(17 + part as u32))
                } else {
                    self.rng.below(N)
                };
                self.hcpc[part] += 1;
                let value = 10_000 + n;
                code.push_str(HCPC_PREFIXES[part]);
                code.push_digits(value, if value < 100_000 { 5 } else { 6 });
            }
        }
        code
    }

    /// Dates of a credential renewed every `months`: (from, until, expired). Current credentials
    /// started at most `months` ago and end after `AS_OF`; expired ones ended in the two years before
    /// it. Neither starts before `not_before` (when possible) nor leaves 2015..=2030.
    fn renewal(&mut self, months: i32, expired: bool, not_before: i32) -> (i32, i32, bool) {
        let not_before = not_before.max(FIRST_DAY);
        if expired {
            let lo = add_months(AS_OF_DAY - 2 * YEAR, -months).max(not_before);
            let hi = add_months(AS_OF_DAY, -months) - 1;
            if lo <= hi {
                let from = self.rng.range(lo, hi);
                return (from, add_months(from, months), true);
            }
        }
        let hi = AS_OF_DAY.min(add_months(LAST_DAY, -months));
        let lo = (add_months(AS_OF_DAY, -months) + 1).max(not_before.min(hi));
        let from = self.rng.range(lo, hi);
        (from, add_months(from, months), false)
    }

    /// A start day in `not_before..AS_OF` (clamped to 2015 onwards).
    fn since(&mut self, not_before: i32) -> i32 {
        let hi = AS_OF_DAY - 1;
        self.rng.range(not_before.max(FIRST_DAY).min(hi), hi)
    }

    fn employment(&mut self, p: &Person) -> (&'static str, &'static str, Option<i32>) {
        let r = &mut self.rng;
        let mental_health = p.specialty == "Psychiatry"
            || (p.profession == Nurse && matches!(p.specialty, "Mental Health" | "Learning Disabilities"));
        let gp = p.profession == Doctor && p.specialty == "General Practice";
        let employer = if p.profession == Paramedic {
            r.pick(&AMBULANCE_EMPLOYERS)
        } else if gp {
            r.pick(&GP_PRACTICES)
        } else if mental_health && r.chance(0.85) {
            r.pick(&MENTAL_HEALTH_EMPLOYERS)
        } else {
            r.pick(&ACUTE_EMPLOYERS)
        };
        let age = p.age;
        let (role, term) = match p.profession {
            Doctor if gp => match age {
                ..30 => ("GP Specialty Registrar", Some(36)),
                30..36 => ("Salaried GP", None),
                _ if r.chance(0.5) => ("GP Partner", None),
                _ => ("Salaried GP", None),
            },
            Doctor => match age {
                ..26 => ("Foundation Year 2 Doctor", Some(12)),
                26..29 => ("Core Trainee", Some(24)),
                29..37 => match r.below(100) {
                    0..75 => ("Specialty Registrar", Some(12)),
                    _ => ("Specialty Doctor", None),
                },
                37..42 => match r.below(100) {
                    0..45 => ("Consultant", None),
                    45..70 => ("Specialty Registrar", Some(12)),
                    _ => ("Specialty Doctor", None),
                },
                _ => match r.below(100) {
                    0..70 => ("Consultant", None),
                    70..90 => ("Specialty Doctor", None),
                    90..97 => ("Associate Specialist", None),
                    _ => ("Specialist", None),
                },
            },
            Nurse => {
                let roles: &[Role] = if mental_health { &MENTAL_HEALTH_NURSE_ROLES } else { &NURSE_ROLES };
                let role = pick_role(r, roles, age);
                let role = if role == "Ward Sister" && !p.female { "Charge Nurse" } else { role };
                (role, None)
            }
            Midwife => (pick_role(r, &MIDWIFE_ROLES, age), None),
            Pharmacist => (pick_role(r, &PHARMACIST_ROLES, age), None),
            Paramedic => (pick_role(r, &PARAMEDIC_ROLES, age), None),
            Physiotherapist => (pick_role(r, &PHYSIO_ROLES, age), None),
            Radiographer => (pick_role(r, &RADIOGRAPHER_ROLES, age), None),
            OccupationalTherapist => (pick_role(r, &OT_ROLES, age), None),
        };
        // A few posts are fixed-term (locums, secondments); partners are not employees.
        if term.is_none() && role != "GP Partner" && r.chance(0.07) {
            let role = if role == "Consultant" { "Locum Consultant" } else { role };
            return (employer, role, Some(if r.chance(0.5) { 12 } else { 24 }));
        }
        (employer, role, term)
    }

    fn qualification(&mut self, p: &Person) -> (&'static str, &'static str) {
        let r = &mut self.rng;
        let pick_uni = |r: &mut Rng, quals: &[&'static str]| (r.pick(quals), r.pick(&UNIVERSITIES));
        match p.profession {
            // Too early in training for a college's membership or fellowship.
            Doctor if p.age < 28 => pick_uni(r, &EARLY_DOCTOR_QUALS),
            Doctor => r.pick(DOCTOR_SPECIALTIES[p.doctor_specialty].quals),
            Nurse => pick_uni(r, &NURSE_QUALS),
            Midwife => pick_uni(r, &MIDWIFE_QUALS),
            Pharmacist => pick_uni(r, &PHARMACIST_QUALS),
            Paramedic => pick_uni(r, &PARAMEDIC_QUALS),
            Physiotherapist => pick_uni(r, &PHYSIO_QUALS),
            Radiographer => pick_uni(r, &RADIOGRAPHER_QUALS),
            OccupationalTherapist => pick_uni(r, &OT_QUALS),
        }
    }

    fn clearance(&mut self, p: &Person) -> &'static str {
        let c = self.rng.weighted(&CLEARANCES);
        let epp = match p.profession {
            Doctor => DOCTOR_SPECIALTIES[p.doctor_specialty].epp,
            Midwife => true,
            _ => false,
        };
        if c == EPP_CLEARED && !epp { "fit for role" } else { c }
    }

    fn row(&mut self, b: &mut Vec<u8>, index: u64, p: &Person, ty: usize) {
        // id
        b.extend_from_slice(b"cred-");
        push_decimal(b, self.seed, 1);
        b.push(b'-');
        let id = if let Ok(small) = u32::try_from(index) {
            u64::from(permute32(small, self.id_key)) << 32
        } else {
            permute64(index, self.id_key)
        };
        let digits = if index <= u64::from(u32::MAX) { 8 } else { 16 };
        for i in 0..digits {
            b.push(HEX[((id >> (60 - 4 * i)) & 0xf) as usize]);
        }
        b.push(b',');
        b.extend_from_slice(CREDENTIAL_TYPES[ty].as_bytes());
        b.push(b',');

        let expired = ty != QUALIFICATION && self.rng.chance(EXPIRED_SHARE);
        let mut status = "";
        let mut qualification = ("", "");
        let mut module = "";
        let mut clearance = "";
        let mut employment = ("", "");
        let (from, until) = match ty {
            LICENCE | REGISTER_ENTRY => {
                let (from, until, expired) = if ty == REGISTER_ENTRY && p.profession == Doctor && !expired {
                    (self.since(p.registered), None, false)
                } else {
                    let months = if ty == LICENCE { p.profession.licence_months() } else { 12 };
                    let (from, until, expired) = self.renewal(months, expired, p.registered);
                    (from, Some(until), expired)
                };
                status = match (expired, p.sanction, ty) {
                    (true, _, _) => "lapsed",
                    (_, 1, _) => "conditions",
                    (_, 2, _) => "suspended",
                    (_, _, LICENCE) => "licensed",
                    _ => "registered",
                };
                (from, until)
            }
            QUALIFICATION => {
                qualification = self.qualification(p);
                let earliest = p.registered + 2 * YEAR;
                let from =
                    if earliest < AS_OF_DAY - 90 { self.since(earliest) } else { self.since(p.registered) };
                (from, None)
            }
            TRAINING => {
                let (name, months) = self.rng.pick(&TRAINING_MODULES);
                module = name;
                let (from, until, _) = self.renewal(months, expired, p.registered - YEAR);
                (from, Some(until))
            }
            CLEARANCE => {
                clearance = self.clearance(p);
                let (from, until, _) = self.renewal(OH_CLEARANCE_MONTHS, expired, p.registered - YEAR);
                (from, Some(until))
            }
            _ => {
                let (employer, role, term) = self.employment(p);
                employment = (employer, role);
                match term {
                    Some(months) => {
                        let (from, until, _) = self.renewal(months, expired, p.registered);
                        (from, Some(until))
                    }
                    None if expired => {
                        let (from, until, _) = self.renewal(24, true, p.registered);
                        (from, Some(until))
                    }
                    None => (self.since(p.registered), None),
                }
            }
        };
        push_date(b, from);
        b.push(b',');
        if let Some(until) = until {
            push_date(b, until);
        }
        b.push(b',');

        // Name parts never need quoting (checked by a test).
        b.extend_from_slice(p.title.as_bytes());
        b.extend_from_slice(p.given.as_bytes());
        b.push(b' ');
        b.extend_from_slice(p.family.as_bytes());
        if !p.family2.is_empty() {
            b.push(b'-');
            b.extend_from_slice(p.family2.as_bytes());
        }
        b.push(b',');
        push_date(b, p.dob);
        b.push(b',');

        let registered = matches!(ty, LICENCE | REGISTER_ENTRY | EMPLOYMENT);
        if registered {
            b.extend_from_slice(p.profession.register().as_bytes());
            b.push(b',');
            b.extend_from_slice(p.register_number.as_bytes());
            b.push(b',');
            push_field(b, p.profession.name());
        } else {
            b.extend_from_slice(b",,");
        }
        b.push(b',');
        if registered || ty == QUALIFICATION {
            push_field(b, p.specialty);
        }
        for value in [status, qualification.0, qualification.1, module, clearance, employment.0] {
            b.push(b',');
            push_field(b, value);
        }
        b.push(b',');
        push_field(b, employment.1);
        b.push(b'\n');
    }
}

/// A role from `roles` plausible at `age`.
fn pick_role(r: &mut Rng, roles: &[Role], age: i32) -> &'static str {
    let fits = |&&(_, _, lo, hi): &&Role| (lo..=hi).contains(&age);
    let total: u32 = roles.iter().filter(fits).map(|&(_, w, _, _)| w).sum();
    let mut x = r.below(u64::from(total)) as u32;
    for &(name, w, _, _) in roles.iter().filter(fits) {
        if x < w {
            return name;
        }
        x -= w;
    }
    roles.first().map_or("", |role| role.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::synth::days_in_month;
    use std::collections::{HashMap, HashSet};

    fn csv(rows: u64, seed: u64) -> String {
        let mut out = Vec::new();
        registrants_csv(rows, seed, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// A tiny RFC 4180 reader: quoted fields, doubled quotes, separators and line breaks inside
    /// quotes, LF or CRLF line ends.
    fn parse(text: &str) -> Vec<Vec<String>> {
        let mut records = Vec::new();
        let mut record = Vec::new();
        let mut field = String::new();
        let mut chars = text.chars().peekable();
        let mut quoted = false;
        let mut any = false;
        while let Some(c) = chars.next() {
            if quoted {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => quoted = false,
                    _ => field.push(c),
                }
                continue;
            }
            any = true;
            match c {
                '"' => {
                    assert!(field.is_empty(), "quote inside an unquoted field");
                    quoted = true;
                }
                ',' => record.push(std::mem::take(&mut field)),
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                    any = false;
                }
                _ => field.push(c),
            }
        }
        assert!(!quoted, "unterminated quoted field");
        if any {
            record.push(field);
            records.push(record);
        }
        records
    }

    /// One parsed data line, indexed by column name.
    #[derive(Debug)]
    struct Row(Vec<String>);

    impl std::ops::Index<&str> for Row {
        type Output = String;
        fn index(&self, column: &str) -> &String {
            &self.0[COLUMNS.iter().position(|&c| c == column).unwrap()]
        }
    }

    struct Table {
        rows: Vec<Row>,
    }

    fn table(rows: u64, seed: u64) -> Table {
        let mut records = parse(&csv(rows, seed)).into_iter();
        assert_eq!(records.next().unwrap(), COLUMNS.map(String::from).to_vec());
        let rows = records
            .map(|r| {
                assert_eq!(r.len(), 17, "{r:?}");
                Row(r)
            })
            .collect::<Vec<_>>();
        Table { rows }
    }

    fn date(s: &str) -> i32 {
        let b = s.as_bytes();
        assert_eq!(b.len(), 10, "{s}");
        assert!(b[4] == b'-' && b[7] == b'-', "{s}");
        let y: i32 = s[0..4].parse().unwrap();
        let m: u32 = s[5..7].parse().unwrap();
        let d: u32 = s[8..10].parse().unwrap();
        assert!((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m), "{s}");
        days_from_civil(y, m, d)
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a = csv(5_000, 7);
        assert_eq!(a, csv(5_000, 7));
        assert_ne!(a, csv(5_000, 8));
        // A prefix of a longer output is the shorter output.
        assert!(csv(6_000, 7).starts_with(&a));
    }

    #[test]
    fn header_and_row_count() {
        let header = "id,type,valid_from,valid_until,name,date_of_birth,register,register_number,profession,\
                      specialty,status,qualification,awarding_body,training_module,clearance,employer,role\n";
        assert_eq!(csv(0, 1), header);
        let text = csv(1_234, 1);
        assert!(text.starts_with(header));
        assert_eq!(parse(&text).len(), 1_235);
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn every_row_has_17_fields_and_quoting_round_trips() {
        let text = csv(20_000, 3);
        let records = parse(&text);
        assert!(records.iter().all(|r| r.len() == 17));
        // Some values contain commas, so they must have been quoted.
        assert!(text.contains("\"EPP cleared (hepatitis B/C, HIV)\""));
        let values: HashSet<&str> = records.iter().flatten().map(String::as_str).collect();
        assert!(values.contains("City St George's, University of London"));
        assert!(values.contains("Equality, Diversity and Human Rights"));
        assert!(values.contains("Tees, Esk and Wear Valleys NHS Foundation Trust"));
    }

    #[test]
    fn ids_unique_and_shaped() {
        let t = table(200_000, 11);
        let mut seen = HashSet::new();
        for row in &t.rows {
            let id = &row["id"];
            let hex = id.strip_prefix("cred-11-").unwrap();
            assert_eq!(hex.len(), 8);
            assert!(hex.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)), "{id}");
            assert!(seen.insert(id.clone()), "duplicate id {id}");
        }
    }

    #[test]
    fn ids_of_different_seeds_never_collide() {
        // Without the seed in the id, 2 x 100k rows in a 2^32 space would share about two ids.
        let mut seen = HashSet::new();
        for seed in [0, 1, 2, 11, 2026, u64::MAX] {
            for row in &table(20_000, seed).rows {
                assert!(seen.insert(row["id"].clone()), "id {} made by two seeds", row["id"]);
            }
        }
        assert!(table(1, 2026).rows[0]["id"].starts_with("cred-2026-"));
    }

    #[test]
    fn permutations_are_bijections() {
        let key = 0x1234_5678_9abc_def0;
        let mut seen = HashSet::new();
        for x in 0..10_000u64 {
            assert!(seen.insert(permute_below(x, 10_000, 14, key)));
        }
        assert!(seen.iter().all(|&y| y < 10_000));
        let ids: HashSet<u32> = (0..100_000).map(|x| permute32(x, key)).collect();
        assert_eq!(ids.len(), 100_000);
    }

    fn digits(s: &str) -> bool {
        !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
    }

    #[test]
    fn register_numbers_are_shaped_and_belong_to_one_person() {
        let t = table(100_000, 5);
        let mut owners: HashMap<(String, String), (String, String)> = HashMap::new();
        for row in &t.rows {
            let (register, number, profession) =
                (&row["register"], &row["register_number"], &row["profession"]);
            if !matches!(row["type"].as_str(), "LicenceToPractise" | "RegisterEntry" | "Employment") {
                assert!(register.is_empty() && number.is_empty() && profession.is_empty(), "{row:?}");
                continue;
            }
            let b = number.as_bytes();
            match register.as_str() {
                "GMC" => {
                    assert_eq!(profession, "doctor");
                    assert!(b.len() == 7 && digits(number) && (b'1'..=b'7').contains(&b[0]), "{number}");
                }
                "NMC" => {
                    assert!(matches!(profession.as_str(), "nurse" | "midwife"));
                    assert_eq!(b.len(), 8, "{number}");
                    assert!(digits(&number[0..2]) && digits(&number[3..7]), "{number}");
                    assert!((b'A'..=b'L').contains(&b[2]), "{number}");
                    assert!(b"ESWNO".contains(&b[7]), "{number}");
                }
                "GPhC" => {
                    assert_eq!(profession, "pharmacist");
                    assert!(b.len() == 7 && digits(number) && b[0] == b'2', "{number}");
                }
                "HCPC" => {
                    let prefix = match profession.as_str() {
                        "paramedic" => "PA",
                        "physiotherapist" => "PH",
                        "radiographer" => "RA",
                        "occupational therapist" => "OT",
                        other => panic!("{other} on the HCPC register"),
                    };
                    let rest = number.strip_prefix(prefix).unwrap();
                    assert!(matches!(rest.len(), 5 | 6) && digits(rest), "{number}");
                }
                other => panic!("unknown register {other}"),
            }
            let person = (row["name"].clone(), row["date_of_birth"].clone());
            let owner = owners.entry((register.clone(), number.clone())).or_insert_with(|| person.clone());
            assert_eq!(*owner, person, "{register} {number} shared");
        }
        for register in ["GMC", "NMC", "GPhC", "HCPC"] {
            assert!(owners.keys().any(|(r, _)| r == register), "{register} missing");
        }
    }

    #[test]
    fn dates_are_plausible() {
        let t = table(100_000, 9);
        let (first, last) = (date("2015-01-01"), date("2030-12-31"));
        let as_of = date(AS_OF);
        let mut expired = 0;
        for row in &t.rows {
            let from = date(&row["valid_from"]);
            assert!((first..=as_of).contains(&from), "{row:?}");
            let until = &row["valid_until"];
            match row["type"].as_str() {
                "PostgraduateQualification" => assert!(until.is_empty()),
                "LicenceToPractise" | "MandatoryTraining" | "OccupationalHealthClearance" => {
                    assert!(!until.is_empty())
                }
                _ => {}
            }
            if !until.is_empty() {
                let until = date(until);
                assert!(from <= until && until <= last, "{row:?}");
                if until < as_of {
                    expired += 1;
                    if matches!(row["type"].as_str(), "LicenceToPractise" | "RegisterEntry") {
                        assert_eq!(row["status"], "lapsed");
                    }
                }
            }
            if row["type"] == "LicenceToPractise" && row["register"] == "GMC" {
                assert_eq!(add_months(from, 60), date(until), "5-year revalidation");
            }
            let (y, m, d) = civil_from_days(date(&row["date_of_birth"]));
            let age = 2026 - y - i32::from((m, d) > (1, 1));
            assert!((22..=68).contains(&age), "{row:?}");
        }
        let share = f64::from(expired) / t.rows.len() as f64;
        assert!((0.02..=0.04).contains(&share), "expired share {share}");
    }

    #[test]
    fn only_relevant_columns_are_filled() {
        let t = table(30_000, 4);
        let filled = |row: &Row, c: &str| !row[c].is_empty();
        for row in &t.rows {
            let ty = row["type"].as_str();
            for c in ["id", "type", "valid_from", "name", "date_of_birth"] {
                assert!(filled(row, c), "{row:?}");
            }
            assert_eq!(filled(row, "status"), matches!(ty, "LicenceToPractise" | "RegisterEntry"));
            assert_eq!(filled(row, "qualification"), ty == "PostgraduateQualification");
            assert_eq!(filled(row, "awarding_body"), ty == "PostgraduateQualification");
            assert_eq!(filled(row, "training_module"), ty == "MandatoryTraining");
            assert_eq!(filled(row, "clearance"), ty == "OccupationalHealthClearance");
            assert_eq!(filled(row, "employer"), ty == "Employment");
            assert_eq!(filled(row, "role"), ty == "Employment");
            if filled(row, "specialty") {
                assert!(matches!(row["profession"].as_str(), "doctor" | "nurse" | ""), "{row:?}");
                assert!(ty != "MandatoryTraining" && ty != "OccupationalHealthClearance");
            }
            if matches!(ty, "RegisterEntry" | "LicenceToPractise" | "Employment")
                && matches!(row["profession"].as_str(), "doctor" | "nurse")
            {
                assert!(filled(row, "specialty"), "{row:?}");
            }
            if row["profession"] == "doctor" {
                assert!(
                    ["Dr ", "Mr ", "Ms ", "Miss ", "Professor "].iter().any(|t| row["name"].starts_with(t)),
                    "{row:?}"
                );
            }
        }
    }

    #[test]
    fn every_type_appears_and_proportions_hold() {
        let t = table(100_000, 2);
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for row in &t.rows {
            let ty = CREDENTIAL_TYPES.iter().find(|&&c| c == row["type"]).unwrap();
            *counts.entry(ty).or_default() += 1;
        }
        let expected = [
            ("RegisterEntry", 25.0),
            ("LicenceToPractise", 15.0),
            ("PostgraduateQualification", 15.0),
            ("MandatoryTraining", 25.0),
            ("OccupationalHealthClearance", 10.0),
            ("Employment", 10.0),
        ];
        for (ty, percent) in expected {
            let got = 100.0 * counts.get(ty).copied().unwrap_or(0) as f64 / t.rows.len() as f64;
            assert!((got - percent).abs() <= 5.0, "{ty}: {got:.2}% vs {percent}%");
        }
        assert_eq!(counts.len(), 6);
        // Small outputs see every type too.
        let small = table(100, 1);
        let types: HashSet<&str> = small.rows.iter().map(|r| r["type"].as_str()).collect();
        assert_eq!(types.len(), 6);
    }

    #[test]
    fn persons_repeat_with_distinct_types() {
        let t = table(50_000, 6);
        // A person's rows are consecutive; runs of one name and date of birth have distinct types.
        let mut multi = 0;
        let mut start = 0;
        while start < t.rows.len() {
            let key = |i: usize| (&t.rows[i]["name"], &t.rows[i]["date_of_birth"]);
            let mut end = start + 1;
            while end < t.rows.len() && key(end) == key(start) {
                end += 1;
            }
            let run = &t.rows[start..end];
            assert!(run.len() <= 5);
            let types: HashSet<&str> = run.iter().map(|r| r["type"].as_str()).collect();
            assert_eq!(types.len(), run.len(), "{run:?}");
            let numbers: HashSet<&str> =
                run.iter().map(|r| r["register_number"].as_str()).filter(|n| !n.is_empty()).collect();
            assert!(numbers.len() <= 1, "{run:?}");
            if run.len() >= 2 {
                multi += 1;
            }
            start = end;
        }
        assert!(multi > 5_000, "{multi} persons with several credentials");
    }

    #[test]
    fn names_are_diverse_and_need_no_quoting() {
        let given: HashSet<&str> =
            NAME_GROUPS.iter().flat_map(|g| g.female.iter().chain(g.male)).copied().collect();
        let family: HashSet<&str> = NAME_GROUPS.iter().flat_map(|g| g.family).copied().collect();
        assert!(given.len() >= 80 && family.len() >= 80, "{} {}", given.len(), family.len());
        for part in given.iter().chain(&family) {
            assert!(!part.contains([',', '"', '\n', '\r']), "{part}");
        }
        let t = table(20_000, 8);
        let names: HashSet<&str> = t.rows.iter().map(|r| r["name"].as_str()).collect();
        assert!(names.len() > 3_000);
    }

    #[test]
    fn dates_are_iso() {
        let mut b = Vec::new();
        push_date(&mut b, days_from_civil(2015, 3, 7));
        assert_eq!(b, b"2015-03-07");
    }

    /// `cargo test -p issuer --release synth::tests::speed -- --ignored --nocapture`
    #[test]
    #[ignore = "timing; run in release"]
    fn speed_one_million_rows() {
        let start = std::time::Instant::now();
        registrants_csv(1_000_000, 1, std::io::sink()).unwrap();
        let sink = start.elapsed();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registrants.csv");
        let start = std::time::Instant::now();
        registrants_csv(1_000_000, 1, std::fs::File::create(&path).unwrap()).unwrap();
        let file = start.elapsed();
        let size = std::fs::metadata(&path).unwrap().len();
        println!("1,000,000 rows: {sink:?} to a sink, {file:?} to a file ({size} bytes)");
    }
}
