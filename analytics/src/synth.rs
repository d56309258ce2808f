//! Synthetic hospital admissions: realistic, entirely made-up patient-level records of inpatient and
//! day-case admissions to English NHS hospitals in the financial year 2025/26, for analytics demos and
//! load tests.
//!
//! Record `i` is a pure function of `(seed, i)`: [`PatientGenerator::patient`] can be called in any
//! order and from any thread, and [`write_patients_csv`] writes chunks generated in parallel in index
//! order. The same arguments give the same bytes on every platform (a self-contained xoshiro256**
//! generator seeded through SplitMix64, keyed bijections for identifiers, only basic floating-point
//! arithmetic — no libm calls, no hash-map iteration, no clock).
//!
//! # Shape of the data
//!
//! * The columns are [`PATIENT_COLUMNS`]. No field ever needs CSV quoting; lines end in `\n`.
//! * `nhs_number`: 10 digits with a valid modulus-11 check digit, in the ranges used in England and
//!   Wales (first digit 4, 6 or 7). The row index goes through a seed-keyed bijection, so numbers are
//!   unique for the first 270 million rows and look random. They are not checked against, or meant
//!   to match, real patients.
//! * `sex` is `Female` for 52% of rows. `age` (whole years at admission, 0–105) comes from
//!   sex-specific 5-to-10-year bands shaped like Hospital Episode Statistics: about 46% are 65 or
//!   older, about 5% are babies under 1, women aged 20–39 are frequent (maternity).
//! * `diagnosis` is an ICD-10 primary diagnosis from a table of 147 common inpatient
//!   primary diagnoses, drawn
//!   with weights by age group and sex: obstetric codes (`O…`) only for women aged 15–49, birth and
//!   perinatal codes (`Z38.0`, `P…`) only for babies under 1, hip fractures, pneumonia and heart
//!   failure mostly in the old, prostate codes only for men.
//! * `admission_date` lies in 2025-04-01..=2026-03-31. Emergency admissions dip at weekends and bank
//!   holidays and peak in winter; respiratory infections peak strongly in December and January;
//!   elective admissions are almost all on working days and dip in August and December.
//! * `date_of_birth` gives exactly `age` on `admission_date` (a 29 February birthday counts from
//!   1 March in other years); babies with birth codes are born on the day of admission or in the four
//!   weeks before.
//! * `length_of_stay` in whole days (0 = day case) follows the diagnosis (a lognormal around the
//!   diagnosis' median, e.g. about two weeks for a hip fracture, mostly 0 for cataract surgery) and
//!   grows with age, capped at 365.
//! * `postcode` is `OUTWARD INWARD`: the outward code is a real English postcode district (about 1,500
//!   districts of about 100 postcode areas, weighted by population), the inward code a digit and two
//!   letters of `ABDEFGHJLNPQRSTUWXYZ` (the postcode as a whole is made up). `region` is the ONS
//!   region the district lies in (see [`region_of_district`]); regions are weighted by population.
//! * `ethnicity` is an NHS ethnic category code (`A`–`S`, `Z` = not stated, about 5%) drawn from the
//!   2021 census mix of the region (London far more diverse than the North East); for patients aged
//!   65 or over, minority codes are redrawn once with probability ½, as older people are more often
//!   White British.
//! * `name` is `Given Family`. White British and most other patients get English names: given names by
//!   sex and birth cohort (a 90-year-old is more likely a Doris than an Olivia), family names weighted
//!   by frequency; patients of Irish, other White, South Asian, Black African, Chinese and Arab
//!   backgrounds get names typical of those backgrounds.

use ::synth::{Rng, civil_from_days, days_from_civil, days_in_month, permute_below, permute64};
use std::fmt;
use std::io::{self, Write};
use std::ops::Range;
use std::sync::mpsc;

/// The column names, in output order.
pub const PATIENT_COLUMNS: [&str; 11] = [
    "nhs_number",
    "name",
    "date_of_birth",
    "age",
    "sex",
    "ethnicity",
    "postcode",
    "region",
    "admission_date",
    "diagnosis",
    "length_of_stay",
];

/// The English regions as ONS names them, in the order of this module's tables.
const REGIONS: [&str; 9] = [
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
];

/// The NHS ethnic category codes rows may have, in the order of this module's tables.
const ETHNIC_CATEGORIES: [&str; 17] =
    ["A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "Z"];

/// One synthetic patient record (borrowed strings point at static tables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    /// 10 digits, valid modulus-11 check digit.
    pub nhs_number: String,
    /// `Given Family`.
    pub name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// Whole years at admission.
    pub age: u32,
    /// `Female` or `Male`.
    pub sex: &'static str,
    /// NHS ethnic category code (`A`–`S`, `Z` = not stated).
    pub ethnicity: &'static str,
    /// `OUTWARD INWARD`, the outward code a real English postcode district.
    pub postcode: String,
    /// ONS region of the postcode district.
    pub region: &'static str,
    /// `YYYY-MM-DD`, 2025-04-01..=2026-03-31.
    pub admission_date: String,
    /// ICD-10 primary diagnosis, e.g. `J18.9`.
    pub diagnosis: &'static str,
    /// Whole days; 0 = day case.
    pub length_of_stay: u32,
}

/// A columnar batch of records [start, start+len) for writers that want columns (e.g. Parquet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientColumns {
    /// Per record: 10 digits, valid modulus-11 check digit.
    pub nhs_number: Vec<String>,
    /// `Given Family`.
    pub name: Vec<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Vec<String>,
    /// Per record: whole years at admission.
    pub age: Vec<u32>,
    /// `Female` or `Male`.
    pub sex: Vec<&'static str>,
    /// Per record: nHS ethnic category code (`A`–`S`, `Z` = not stated).
    pub ethnicity: Vec<&'static str>,
    /// `OUTWARD INWARD`, the outward code a real English postcode district.
    pub postcode: Vec<String>,
    /// Per record: oNS region of the postcode district.
    pub region: Vec<&'static str>,
    /// `YYYY-MM-DD`, 2025-04-01..=2026-03-31.
    pub admission_date: Vec<String>,
    /// Per record: iCD-10 primary diagnosis, e.g. `J18.9`.
    pub diagnosis: Vec<&'static str>,
    /// Per record: whole days; 0 = day case.
    pub length_of_stay: Vec<u32>,
}

/// Deterministic generator: record i depends only on (seed, i), so chunks can be generated in parallel.
pub struct PatientGenerator {
    seed: u64,
    row_key: u64,
    nhs_key: u64,
    /// Every postcode district of [`REGION_TABLE`], flattened.
    districts: Vec<District>,
    district_table: Alias,
    /// Age bands by sex (0 female, 1 male).
    age_table: [Alias; 2],
    /// Diagnoses by sex and age group, at `sex * AGE_GROUPS + group`.
    dx_table: Vec<Alias>,
    /// Admission days (offsets from 2025-04-01) by season class.
    day_table: [Alias; 4],
    /// Ethnic categories by region.
    ethnicity_table: [Alias; 9],
    english_family_table: Alias,
}

impl fmt::Debug for PatientGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatientGenerator").field("seed", &self.seed).finish_non_exhaustive()
    }
}

impl PatientGenerator {
    /// A generator for `seed`; builds the sampling tables once (cheap: microseconds).
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let row_key = rng.next_u64();
        let nhs_key = rng.next_u64();

        let mut districts = Vec::new();
        let mut district_weights = Vec::new();
        for (region, def) in REGION_TABLE.iter().enumerate() {
            let area_total: u64 = def.areas.iter().map(|a| u64::from(a.weight)).sum();
            for area in def.areas {
                let names = area_districts(area);
                // Population (thousands) × area share, per district, in persons (total about 62 million).
                let per_district = u64::from(def.population) * 1_000 * u64::from(area.weight)
                    / area_total.max(1)
                    / (names.len() as u64).max(1);
                for name in names {
                    districts.push(District { name, region });
                    district_weights.push(per_district.max(1));
                }
            }
        }
        let district_table = Alias::new(district_weights);

        let age_table = [
            Alias::new(AGE_BANDS.iter().map(|b| u64::from(b.2))),
            Alias::new(AGE_BANDS.iter().map(|b| u64::from(b.3))),
        ];

        let mut dx_table = Vec::with_capacity(2 * AGE_GROUPS);
        for male in [false, true] {
            for group in 0..AGE_GROUPS {
                dx_table.push(Alias::new(DIAGNOSES.iter().map(|d| {
                    let share = if male { 100 - u64::from(d.female) } else { u64::from(d.female) };
                    u64::from(d.weights[group]) * share
                })));
            }
        }

        let day_table = [0, 1, 2, 3].map(|season| {
            Alias::new((0..FY_DAYS as i32).map(|offset| {
                let day = FIRST_DAY + offset;
                let (y, m, d) = civil_from_days(day);
                let weekday = if BANK_HOLIDAYS.contains(&(y, m, d)) { 6 } else { weekday(day) };
                u64::from(WEEKDAY_FACTOR[season][weekday]) * u64::from(MONTH_FACTOR[season][m as usize - 1])
            }))
        });

        let ethnicity_table = [0, 1, 2, 3, 4, 5, 6, 7, 8]
            .map(|region| Alias::new(REGION_TABLE[region].ethnicity.iter().map(|&w| u64::from(w))));

        let english_family_table =
            Alias::new((0..ENGLISH_FAMILY.len() as u64).map(|rank| 1_000_000 / (rank + 12)));

        PatientGenerator {
            seed,
            row_key,
            nhs_key,
            districts,
            district_table,
            age_table,
            dx_table,
            day_table,
            ethnicity_table,
            english_family_table,
        }
    }

    /// Record `index` (any `u64`; NHS numbers repeat only beyond 270 million rows).
    pub fn patient(&self, index: u64) -> Patient {
        let r = self.record(index);
        let district = &self.districts[r.district];
        let mut postcode = String::with_capacity(8);
        postcode.push_str(&district.name);
        postcode.push(' ');
        postcode.extend(r.inward.iter().map(|&c| char::from(c)));
        let mut name = String::with_capacity(r.given.len() + 1 + r.family.len());
        name.push_str(r.given);
        name.push(' ');
        name.push_str(r.family);
        Patient {
            nhs_number: format!("{:010}", r.nhs),
            name,
            date_of_birth: iso_date(r.dob),
            age: r.age,
            sex: SEXES[usize::from(!r.female)],
            ethnicity: ETHNIC_CATEGORIES[r.ethnicity],
            postcode,
            region: REGIONS[district.region],
            admission_date: iso_date(r.admitted),
            diagnosis: DIAGNOSES[r.diagnosis].code,
            length_of_stay: r.los,
        }
    }

    /// Records `start..start + len` as columns (the same values as [`PatientGenerator::patient`]).
    pub fn columns(&self, start: u64, len: usize) -> PatientColumns {
        let mut c = PatientColumns {
            nhs_number: Vec::with_capacity(len),
            name: Vec::with_capacity(len),
            date_of_birth: Vec::with_capacity(len),
            age: Vec::with_capacity(len),
            sex: Vec::with_capacity(len),
            ethnicity: Vec::with_capacity(len),
            postcode: Vec::with_capacity(len),
            region: Vec::with_capacity(len),
            admission_date: Vec::with_capacity(len),
            diagnosis: Vec::with_capacity(len),
            length_of_stay: Vec::with_capacity(len),
        };
        for index in start..start.saturating_add(len as u64) {
            let p = self.patient(index);
            c.nhs_number.push(p.nhs_number);
            c.name.push(p.name);
            c.date_of_birth.push(p.date_of_birth);
            c.age.push(p.age);
            c.sex.push(p.sex);
            c.ethnicity.push(p.ethnicity);
            c.postcode.push(p.postcode);
            c.region.push(p.region);
            c.admission_date.push(p.admission_date);
            c.diagnosis.push(p.diagnosis);
            c.length_of_stay.push(p.length_of_stay);
        }
        c
    }

    /// Appends record `index` as one CSV line, without building a [`Patient`] (no allocation).
    fn push_csv_row(&self, b: &mut Vec<u8>, index: u64) {
        let r = self.record(index);
        let district = &self.districts[r.district];
        push_ten_digits(b, r.nhs);
        b.push(b',');
        b.extend_from_slice(r.given.as_bytes());
        b.push(b' ');
        b.extend_from_slice(r.family.as_bytes());
        b.push(b',');
        push_date(b, r.dob);
        b.push(b',');
        push_num(b, r.age);
        b.push(b',');
        b.extend_from_slice(SEXES[usize::from(!r.female)].as_bytes());
        b.push(b',');
        b.extend_from_slice(ETHNIC_CATEGORIES[r.ethnicity].as_bytes());
        b.push(b',');
        b.extend_from_slice(district.name.as_bytes());
        b.push(b' ');
        b.extend_from_slice(&r.inward);
        b.push(b',');
        b.extend_from_slice(REGIONS[district.region].as_bytes());
        b.push(b',');
        push_date(b, r.admitted);
        b.push(b',');
        b.extend_from_slice(DIAGNOSES[r.diagnosis].code.as_bytes());
        b.push(b',');
        push_num(b, r.los);
        b.push(b'\n');
    }

    /// Draws record `index`: everything but the NHS number comes from a generator keyed by the index.
    fn record(&self, index: u64) -> Record {
        let r = &mut Rng::new(permute64(index, self.row_key));
        let female = r.below(100) < FEMALE_PERCENT;
        let sex = usize::from(!female);

        let band = AGE_BANDS[self.age_table[sex].draw(r)];
        let age = r.range(band.0, band.1);
        let diagnosis = self.dx_table[sex * AGE_GROUPS + age_group(age)].draw(r);
        let dx = &DIAGNOSES[diagnosis];
        let admitted = FIRST_DAY + self.day_table[dx.season].draw(r) as i32;

        let admitted_ymd = civil_from_days(admitted);
        let dob = if age == 0 {
            if dx.code.starts_with("Z38") {
                admitted
            } else if dx.code.starts_with('P') {
                admitted - r.range(0, 27)
            } else {
                admitted - r.range(14, 364)
            }
        } else {
            let (lo, hi) = birth_range(admitted_ymd, age);
            r.range(lo, hi)
        };
        let dob_ymd = civil_from_days(dob);

        let district = self.district_table.draw(r);
        let region = self.districts[district].region;
        let mut ethnicity = self.ethnicity_table[region].draw(r);
        if age >= 65 && !matches!(ethnicity, WHITE_BRITISH | WHITE_IRISH | NOT_STATED) && r.chance(0.5) {
            ethnicity = self.ethnicity_table[region].draw(r);
        }
        let (given, family) = self.name(r, female, ethnicity, dob_ymd.0);

        let inward = [b'0' + r.below(10) as u8, r.pick(INWARD_LETTERS), r.pick(INWARD_LETTERS)];
        let los = stay(r, dx, age);
        Record {
            nhs: nhs_number(index, self.nhs_key),
            given,
            family,
            dob: dob_ymd,
            age: age as u32,
            female,
            ethnicity,
            district,
            inward,
            admitted: admitted_ymd,
            diagnosis,
            los,
        }
    }

    fn name(
        &self,
        r: &mut Rng,
        female: bool,
        ethnicity: usize,
        birth_year: i32,
    ) -> (&'static str, &'static str) {
        match ETHNIC_NAME_GROUP[ethnicity] {
            group @ (ENGLISH | IRISH) => {
                let cohort = match birth_year {
                    ..1950 => 0,
                    1950..1980 => 1,
                    1980..2000 => 2,
                    _ => 3,
                };
                let given =
                    if female { r.pick(ENGLISH_FEMALE[cohort]) } else { r.pick(ENGLISH_MALE[cohort]) };
                let family = if group == IRISH && r.chance(0.7) {
                    r.pick(IRISH_FAMILY)
                } else {
                    ENGLISH_FAMILY[self.english_family_table.draw(r)]
                };
                (given, family)
            }
            group => {
                let names = &OTHER_NAMES[group - 2];
                let given = if female { r.pick(names.female) } else { r.pick(names.male) };
                (given, r.pick(names.family))
            }
        }
    }
}

/// Write records `rows` (indices, e.g. `0..n`) for `seed` as CSV (header first) to `out`, generating
/// chunks in parallel on all cores (output order = index order) and streaming: memory does not grow
/// with the rows. Files of consecutive ranges concatenate to the file of their union.
///
/// Each worker generates every `workers`-th chunk of [`CHUNK_ROWS`] rows and hands it over a channel
/// holding at most two chunks, so memory stays at a few chunks per worker whatever `rows` is.
pub fn write_patients_csv<W: Write>(mut out: W, rows: Range<u64>, seed: u64) -> io::Result<()> {
    let generator = PatientGenerator::new(seed);
    out.write_all(PATIENT_COLUMNS.join(",").as_bytes())?;
    out.write_all(b"\n")?;
    let (first, n) = (rows.start, rows.end.saturating_sub(rows.start));
    let chunks = n.div_ceil(CHUNK_ROWS);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let workers = cores.min(chunks);
    let chunk_range =
        |chunk: u64| first + chunk * CHUNK_ROWS..first + (chunk * CHUNK_ROWS + CHUNK_ROWS).min(n);

    if workers <= 1 {
        let mut buf = Vec::with_capacity(CHUNK_BYTES);
        for chunk in 0..chunks {
            buf.clear();
            for index in chunk_range(chunk) {
                generator.push_csv_row(&mut buf, index);
            }
            out.write_all(&buf)?;
        }
        return out.flush();
    }

    std::thread::scope(|scope| {
        let generator = &generator;
        let mut receivers = Vec::with_capacity(workers as usize);
        for worker in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(2);
            receivers.push(rx);
            scope.spawn(move || {
                for chunk in (worker..chunks).step_by(workers as usize) {
                    let mut buf = Vec::with_capacity(CHUNK_BYTES);
                    for index in chunk_range(chunk) {
                        generator.push_csv_row(&mut buf, index);
                    }
                    if tx.send(buf).is_err() {
                        return; // the writer gave up (write error); stop quietly
                    }
                }
            });
        }
        for chunk in 0..chunks {
            let buf = receivers[(chunk % workers) as usize]
                .recv()
                .map_err(|_| io::Error::other("a generator thread stopped early"))?;
            out.write_all(&buf)?;
        }
        Ok::<(), io::Error>(())
        // On an early return the receivers drop here, so blocked workers fail to send and finish.
    })?;
    out.flush()
}

/// For tests/docs: the region of a postcode district's area, if it's one of ours.
///
/// `district` is an outward code such as `LS6`, `SW1A` or `S40`; regions are assigned per district,
/// so an area spanning two regions (e.g. `S`: Sheffield and Chesterfield) maps each district correctly.
pub fn region_of_district(district: &str) -> Option<&'static str> {
    for (region, def) in REGION_TABLE.iter().enumerate() {
        for area in def.areas {
            if area.named.contains(&district) {
                return Some(REGIONS[region]);
            }
            let Some(rest) = district.strip_prefix(area.code) else { continue };
            let canonical = !rest.is_empty()
                && rest.len() <= 2
                && rest.bytes().all(|c| c.is_ascii_digit())
                && (rest == "0" || !rest.starts_with('0'));
            if let (true, Ok(n)) = (canonical, rest.parse::<u8>())
                && area.ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&n))
            {
                return Some(REGIONS[region]);
            }
        }
    }
    None
}

/// Rows generated per chunk (and per hand-over between threads).
const CHUNK_ROWS: u64 = 1 << 15;
/// Bytes reserved per chunk: rows are about 90 bytes.
const CHUNK_BYTES: usize = (CHUNK_ROWS as usize) * 112;

const SEXES: [&str; 2] = ["Female", "Male"];
const FEMALE_PERCENT: u64 = 52;

/// The values of one record before formatting: all `Copy`, so generation allocates nothing.
#[derive(Clone, Copy)]
struct Record {
    nhs: u64,
    given: &'static str,
    family: &'static str,
    dob: (i32, u32, u32),
    age: u32,
    female: bool,
    ethnicity: usize,
    district: usize,
    inward: [u8; 3],
    admitted: (i32, u32, u32),
    diagnosis: usize,
    los: u32,
}

struct District {
    name: String,
    region: usize,
}

/// A discrete distribution sampled in constant time (Walker's alias method, in exact integers).
struct Alias {
    /// Per slot: draw the slot itself when `x < keep[slot]` for `x` uniform in `0..total`, else `alias`.
    keep: Vec<u64>,
    alias: Vec<u32>,
    total: u64,
}

impl Alias {
    /// The distribution with the given weights (zero weights are never drawn; at least one must be
    /// positive, and `weights.len() * sum` must fit in a `u64`).
    fn new(weights: impl IntoIterator<Item = u64>) -> Alias {
        let weights: Vec<u64> = weights.into_iter().collect();
        let n = weights.len() as u64;
        let total: u64 = weights.iter().sum();
        // Slot i holds `scaled[i] / total` of its own probability mass; every slot is worth `total`.
        let mut scaled: Vec<u64> = weights.iter().map(|w| w * n).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..weights.len()).partition(|&i| scaled[i] < total);
        let mut keep = vec![total; weights.len()];
        let mut alias: Vec<u32> = (0..weights.len() as u32).collect();
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            keep[s] = scaled[s];
            alias[s] = l as u32;
            scaled[l] -= total - scaled[s];
            if scaled[l] < total {
                large.pop();
                small.push(l);
            }
        }
        // Exact arithmetic: what is left holds exactly `total` and keeps its own slot.
        Alias { keep, alias, total }
    }

    fn draw(&self, r: &mut Rng) -> usize {
        let slot = r.below(self.keep.len() as u64) as usize;
        if r.below(self.total) < self.keep[slot] { slot } else { self.alias[slot] as usize }
    }
}

// ---------------------------------------------------------------------------------------------
// NHS numbers.

/// Eight-digit stems 40000000..=49999999, 60000000..=79999999 (England and Wales).
const NHS_STEMS: u64 = 30_000_000;
/// Nine usable ninth digits per stem (of ten, one or none gives check digit 10).
const NHS_SPACE: u64 = 9 * NHS_STEMS;

/// The NHS number of row `index`: a keyed bijection of `0..NHS_SPACE` onto (stem, ninth digit)
/// pairs whose check digit is not 10, followed by the modulus-11 check digit.
fn nhs_number(index: u64, key: u64) -> u64 {
    let y = permute_below(index % NHS_SPACE, NHS_SPACE, 29, key);
    let (stem_index, choice) = (y / 9, y % 9);
    let lead = [4, 6, 7][(stem_index / 10_000_000) as usize];
    let stem = lead * 10_000_000 + stem_index % 10_000_000;
    let mut sum = 0;
    let mut rest = stem;
    for weight in 3..=10 {
        sum += (rest % 10) * weight;
        rest /= 10;
    }
    let mut seen = 0;
    let mut number = 0;
    for ninth in 0..10 {
        let remainder = (sum + 2 * ninth) % 11;
        if remainder == 1 {
            continue; // check digit would be 10: not a valid NHS number
        }
        if seen == choice {
            number = (stem * 10 + ninth) * 10 + (11 - remainder) % 11;
            break;
        }
        seen += 1;
    }
    number
}

// ---------------------------------------------------------------------------------------------
// Ages, stays and seasons.

/// Age bands `(lo, hi, female weight, male weight)` of admitted patients (HES-like).
const AGE_BANDS: [(i32, i32, u32, u32); 17] = [
    (0, 0, 40, 50),
    (1, 4, 20, 28),
    (5, 14, 22, 28),
    (15, 19, 18, 15),
    (20, 29, 85, 45),
    (30, 39, 95, 50),
    (40, 49, 60, 55),
    (50, 59, 80, 90),
    (60, 64, 50, 65),
    (65, 69, 60, 70),
    (70, 74, 75, 80),
    (75, 79, 80, 80),
    (80, 84, 75, 70),
    (85, 89, 60, 48),
    (90, 94, 32, 22),
    (95, 99, 9, 4),
    (100, 105, 1, 1),
];

/// Age groups of the diagnosis weights: 0, 1–4, 5–14, 15–19, 20–29, 30–39, 40–49, 50–64, 65–79, 80+.
const AGE_GROUPS: usize = 10;

fn age_group(age: i32) -> usize {
    match age {
        ..=0 => 0,
        1..=4 => 1,
        5..=14 => 2,
        15..=19 => 3,
        20..=29 => 4,
        30..=39 => 5,
        40..=49 => 6,
        50..=64 => 7,
        65..=79 => 8,
        _ => 9,
    }
}

/// Length of stay: 0 with the diagnosis' day-case share, else a lognormal around its median scaled
/// by age (an Irwin–Hall approximation of the normal, bounded at ±3.5 sd).
fn stay(r: &mut Rng, dx: &Dx, age: i32) -> u32 {
    if r.below(100) < u64::from(dx.zero) {
        return 0;
    }
    let u = r.next_u64();
    let sum: f64 = (0..4).map(|i| ((u >> (16 * i)) & 0xffff) as f64).sum::<f64>() / 65_536.0;
    let z = (sum - 2.0) * 1.732_050_8; // four uniforms: mean 2, variance 1/3
    let factor = match age {
        ..=15 => 0.8,
        16..=64 => 1.0,
        65..=79 => 1.2,
        _ => 1.45,
    };
    let days = (dx.median * factor * exp(dx.spread * z)).round();
    days.clamp(1.0, 365.0) as u32
}

/// `e^x` for `|x| <= 8` from additions and multiplications only (bit-identical on every platform).
fn exp(x: f64) -> f64 {
    let y = x / 32.0;
    let mut e =
        1.0 + y * (1.0 + y / 2.0 * (1.0 + y / 3.0 * (1.0 + y / 4.0 * (1.0 + y / 5.0 * (1.0 + y / 6.0)))));
    for _ in 0..5 {
        e *= e;
    }
    e
}

// Season classes of diagnoses (indices into the day tables).
const GENERAL: usize = 0;
const WINTER: usize = 1;
const ELECTIVE: usize = 2;
const BIRTH: usize = 3;

/// Weekday factors, Monday first; bank holidays count as Sundays.
const WEEKDAY_FACTOR: [[u32; 7]; 4] = [
    [104, 100, 100, 100, 98, 84, 80],
    [102, 100, 100, 100, 100, 92, 90],
    [100, 100, 100, 100, 95, 6, 3],
    [101, 102, 102, 102, 101, 94, 92],
];

/// Month factors, January first.
const MONTH_FACTOR: [[u32; 12]; 4] = [
    [110, 103, 101, 96, 97, 96, 98, 94, 98, 101, 104, 110],
    [165, 130, 105, 80, 65, 55, 55, 55, 70, 100, 140, 185],
    [100, 102, 105, 95, 100, 102, 100, 88, 100, 102, 102, 85],
    [98, 95, 99, 97, 100, 99, 103, 103, 105, 103, 99, 99],
];

/// Bank holidays in England within the financial year.
const BANK_HOLIDAYS: [(i32, u32, u32); 8] = [
    (2025, 4, 18),
    (2025, 4, 21),
    (2025, 5, 5),
    (2025, 5, 26),
    (2025, 8, 25),
    (2025, 12, 25),
    (2025, 12, 26),
    (2026, 1, 1),
];

// ---------------------------------------------------------------------------------------------
// Dates, as days since 1970-01-01.

const FIRST_DAY: i32 = days_from_civil(2025, 4, 1);
const FY_DAYS: usize = 365;

/// The days of birth giving `age` (at least 1) on the admission date `(y, m, d)`: after the day
/// `age + 1` years before admission, up to the day `age` years before (29 February clamps to the 28th,
/// so a leap-day birthday counts from 1 March in other years).
fn birth_range((y, m, d): (i32, u32, u32), age: i32) -> (i32, i32) {
    let years_before = |years: i32| days_from_civil(y - years, m, d.min(days_in_month(y - years, m)));
    (years_before(age + 1) + 1, years_before(age))
}

/// Day of the week, Monday = 0 (1970-01-01 was a Thursday).
fn weekday(day: i32) -> usize {
    (day + 3).rem_euclid(7) as usize
}

fn iso_date((y, m, d): (i32, u32, u32)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

// ---------------------------------------------------------------------------------------------
// Output helpers.

/// Appends `v` in decimal.
fn push_num(b: &mut Vec<u8>, v: u32) {
    ::synth::push_decimal(b, u64::from(v), 1);
}

/// Appends `YYYY-MM-DD` (years 0–9999).
fn push_date(b: &mut Vec<u8>, (y, m, d): (i32, u32, u32)) {
    let y = y.unsigned_abs();
    let digit = |v: u32| b'0' + (v % 10) as u8;
    b.extend_from_slice(&[
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        digit(m / 10),
        digit(m),
        b'-',
        digit(d / 10),
        digit(d),
    ]);
}

/// Appends the ten digits of an NHS number.
fn push_ten_digits(b: &mut Vec<u8>, mut v: u64) {
    let mut digits = [b'0'; 10];
    for c in digits.iter_mut().rev() {
        *c = b'0' + (v % 10) as u8;
        v /= 10;
    }
    b.extend_from_slice(&digits);
}

// ---------------------------------------------------------------------------------------------
// Diagnoses.

/// A primary diagnosis and how it is distributed.
struct Dx {
    /// ICD-10 code with a dot before the fourth character.
    code: &'static str,
    /// Percentage of admissions that are female (0: men only, 100: women only).
    female: u8,
    /// Season class: index into the day tables.
    season: usize,
    /// Relative frequency in each age group (see [`age_group`]); comparable within a group.
    weights: [u16; AGE_GROUPS],
    /// Percentage of stays of 0 days (day cases and same-day discharges).
    zero: u8,
    /// Median stay in days of the others, before the age factor.
    median: f64,
    /// Sigma of the lognormal stay.
    spread: f64,
}

const fn dx(
    code: &'static str,
    female: u8,
    season: usize,
    weights: [u16; AGE_GROUPS],
    zero: u8,
    median: f64,
    spread: f64,
) -> Dx {
    Dx { code, female, season, weights, zero, median, spread }
}

/// The diagnoses rows may have. Age groups: 0, 1–4, 5–14, 15–19, 20–29, 30–39, 40–49, 50–64, 65–79, 80+.
#[rustfmt::skip]
const DIAGNOSES: [Dx; 147] = [
    // Births, newborns and infants
    dx("Z38.0", 49, BIRTH, [900, 0, 0, 0, 0, 0, 0, 0, 0, 0], 30, 1.2, 0.5),   // singleton born in hospital
    dx("P59.9", 45, GENERAL, [120, 0, 0, 0, 0, 0, 0, 0, 0, 0], 20, 2.0, 0.5), // neonatal jaundice
    dx("P07.3", 47, BIRTH, [50, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, 12.0, 0.9),    // preterm infant
    dx("P22.1", 42, BIRTH, [40, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, 3.0, 0.6),     // transient tachypnoea, newborn
    dx("P92.9", 50, GENERAL, [50, 0, 0, 0, 0, 0, 0, 0, 0, 0], 20, 2.0, 0.5),  // feeding problem of newborn
    dx("P36.9", 45, GENERAL, [15, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, 7.0, 0.5),   // bacterial sepsis of newborn
    dx("J21.9", 43, WINTER, [260, 60, 0, 0, 0, 0, 0, 0, 0, 0], 5, 2.5, 0.6),  // acute bronchiolitis
    // Childhood
    dx("J06.9", 46, WINTER, [60, 80, 25, 6, 5, 4, 3, 3, 3, 2], 25, 1.2, 0.6),
    dx("A08.4", 47, GENERAL, [50, 70, 20, 5, 5, 4, 3, 3, 3, 3], 25, 1.5, 0.6),
    dx("R50.9", 47, GENERAL, [60, 40, 15, 5, 5, 5, 5, 5, 5, 5], 30, 1.5, 0.6),
    dx("R56.0", 44, GENERAL, [5, 60, 8, 0, 0, 0, 0, 0, 0, 0], 40, 1.0, 0.5),  // febrile convulsions
    dx("J03.9", 55, GENERAL, [0, 25, 35, 25, 15, 8, 4, 2, 1, 0], 40, 1.0, 0.5),
    dx("J35.3", 45, ELECTIVE, [0, 50, 45, 10, 3, 1, 0, 0, 0, 0], 70, 1.0, 0.3), // tonsils and adenoids
    dx("H66.9", 48, GENERAL, [5, 20, 8, 1, 1, 1, 1, 1, 0, 0], 40, 1.0, 0.4),
    dx("Q53.1", 0, ELECTIVE, [2, 30, 8, 0, 0, 0, 0, 0, 0, 0], 90, 1.0, 0.2),  // undescended testicle
    dx("K40.9", 10, ELECTIVE, [20, 15, 5, 5, 10, 15, 25, 40, 35, 10], 75, 1.0, 0.4),
    dx("E10.1", 50, GENERAL, [0, 3, 15, 15, 10, 6, 4, 3, 1, 0], 0, 3.0, 0.5), // diabetic ketoacidosis
    dx("K59.0", 55, GENERAL, [10, 30, 15, 5, 5, 5, 5, 10, 20, 30], 30, 2.0, 0.7),
    dx("K35.8", 45, GENERAL, [0, 3, 60, 45, 35, 25, 18, 12, 6, 2], 0, 2.5, 0.5), // appendicitis
    dx("S52.5", 55, GENERAL, [0, 5, 30, 8, 5, 5, 8, 15, 20, 15], 60, 1.0, 0.6),  // distal radius fracture
    dx("S06.0", 40, GENERAL, [3, 10, 12, 10, 8, 5, 5, 4, 5, 8], 40, 1.0, 0.6),
    dx("S09.9", 45, GENERAL, [15, 25, 10, 8, 8, 6, 6, 6, 15, 40], 50, 1.0, 0.7),
    dx("J45.9", 45, WINTER, [0, 35, 35, 12, 12, 10, 10, 8, 5, 2], 15, 1.5, 0.6),
    dx("A09.9", 50, GENERAL, [10, 20, 10, 8, 10, 10, 10, 12, 15, 20], 20, 2.0, 0.7),
    // Pregnancy and childbirth (women 15–49)
    dx("O80", 100, BIRTH, [0, 0, 0, 100, 330, 300, 35, 0, 0, 0], 15, 1.0, 0.5),
    dx("O82.0", 100, ELECTIVE, [0, 0, 0, 5, 40, 70, 12, 0, 0, 0], 0, 2.0, 0.3),
    dx("O82.1", 100, BIRTH, [0, 0, 0, 12, 60, 65, 10, 0, 0, 0], 0, 2.5, 0.4),
    dx("O70.1", 100, BIRTH, [0, 0, 0, 20, 60, 40, 4, 0, 0, 0], 5, 1.5, 0.4),
    dx("O48", 100, BIRTH, [0, 0, 0, 10, 45, 40, 5, 0, 0, 0], 5, 2.0, 0.4),
    dx("O34.2", 100, BIRTH, [0, 0, 0, 2, 30, 50, 8, 0, 0, 0], 5, 2.0, 0.5),
    dx("O42.0", 100, BIRTH, [0, 0, 0, 8, 30, 25, 3, 0, 0, 0], 5, 2.0, 0.5),
    dx("O68.0", 100, BIRTH, [0, 0, 0, 10, 40, 35, 4, 0, 0, 0], 5, 2.0, 0.5),
    dx("O21.0", 100, GENERAL, [0, 0, 0, 8, 25, 18, 2, 0, 0, 0], 30, 1.5, 0.6),
    dx("O20.0", 100, GENERAL, [0, 0, 0, 8, 25, 20, 4, 0, 0, 0], 60, 1.0, 0.5),
    dx("O00.1", 100, GENERAL, [0, 0, 0, 2, 8, 10, 2, 0, 0, 0], 10, 1.5, 0.5),
    dx("O03.9", 100, GENERAL, [0, 0, 0, 5, 15, 18, 6, 0, 0, 0], 60, 1.0, 0.4),
    dx("O02.1", 100, ELECTIVE, [0, 0, 0, 4, 20, 25, 6, 0, 0, 0], 85, 1.0, 0.3),
    dx("O47.1", 100, BIRTH, [0, 0, 0, 8, 35, 30, 3, 0, 0, 0], 40, 1.0, 0.4),
    dx("O24.4", 100, BIRTH, [0, 0, 0, 2, 20, 30, 6, 0, 0, 0], 15, 2.0, 0.5),
    dx("O13", 100, BIRTH, [0, 0, 0, 3, 12, 14, 3, 0, 0, 0], 15, 2.0, 0.6),
    dx("O14.9", 100, BIRTH, [0, 0, 0, 3, 10, 10, 2, 0, 0, 0], 0, 4.0, 0.6),
    // Symptoms and signs
    dx("R07.4", 42, GENERAL, [0, 0, 2, 15, 30, 45, 60, 70, 50, 25], 45, 1.0, 0.6),
    dx("R07.3", 45, GENERAL, [0, 0, 2, 10, 20, 30, 40, 45, 30, 12], 50, 1.0, 0.5),
    dx("R10.4", 60, GENERAL, [2, 10, 40, 60, 70, 55, 45, 40, 30, 20], 40, 1.5, 0.7),
    dx("R06.0", 50, GENERAL, [0, 0, 0, 3, 5, 6, 8, 15, 25, 30], 30, 2.0, 0.8),
    dx("R55", 52, GENERAL, [0, 0, 5, 15, 15, 12, 15, 25, 45, 55], 35, 2.0, 0.9),
    dx("R29.6", 62, GENERAL, [0, 0, 0, 0, 0, 0, 1, 5, 35, 110], 15, 5.0, 1.0), // tendency to fall
    dx("R26.8", 60, GENERAL, [0, 0, 0, 0, 0, 0, 0, 3, 20, 50], 10, 7.0, 1.0),
    dx("F05.9", 55, GENERAL, [0, 0, 0, 0, 0, 0, 1, 3, 15, 45], 5, 10.0, 0.9), // delirium
    dx("R41.0", 55, GENERAL, [0, 0, 0, 0, 1, 1, 2, 4, 15, 40], 10, 7.0, 1.0),
    dx("R11", 60, GENERAL, [5, 6, 5, 6, 8, 6, 5, 5, 6, 8], 40, 1.5, 0.7),
    dx("R13", 48, ELECTIVE, [0, 0, 0, 0, 1, 2, 4, 8, 12, 8], 70, 1.0, 0.7),
    dx("R51", 65, GENERAL, [0, 0, 5, 12, 18, 15, 12, 8, 4, 2], 40, 1.5, 0.6),
    dx("R42", 60, GENERAL, [0, 0, 0, 2, 4, 6, 8, 12, 20, 20], 35, 2.0, 0.8),
    dx("R33", 10, GENERAL, [0, 0, 0, 0, 0, 1, 2, 8, 30, 40], 25, 3.0, 0.9),   // retention of urine
    dx("R31", 30, ELECTIVE, [0, 0, 0, 0, 2, 3, 6, 12, 18, 10], 85, 1.0, 0.5), // haematuria
    // Circulatory
    dx("I21.4", 32, GENERAL, [0, 0, 0, 0, 1, 5, 18, 60, 70, 45], 3, 4.0, 0.6),
    dx("I21.9", 35, GENERAL, [0, 0, 0, 0, 1, 3, 10, 30, 35, 25], 3, 5.0, 0.7),
    dx("I20.0", 35, GENERAL, [0, 0, 0, 0, 1, 3, 10, 30, 30, 15], 10, 3.0, 0.6),
    dx("I25.1", 30, ELECTIVE, [0, 0, 0, 0, 0, 3, 12, 45, 45, 10], 70, 1.0, 0.6),
    dx("I35.0", 45, ELECTIVE, [0, 0, 0, 0, 0, 0, 1, 5, 25, 25], 10, 3.0, 0.7),
    dx("I47.1", 60, GENERAL, [1, 1, 3, 4, 5, 6, 6, 6, 5, 3], 40, 1.0, 0.5),
    dx("I48.9", 47, GENERAL, [0, 0, 0, 0, 2, 4, 10, 40, 80, 80], 20, 3.0, 0.9),
    dx("I50.0", 48, GENERAL, [0, 0, 0, 0, 0, 1, 4, 20, 70, 120], 3, 8.0, 0.8),
    dx("I63.9", 48, GENERAL, [0, 0, 0, 0, 1, 2, 6, 25, 55, 75], 3, 10.0, 1.0),
    dx("I61.9", 45, GENERAL, [0, 0, 0, 0, 1, 1, 3, 6, 12, 15], 2, 12.0, 1.0),
    dx("G45.9", 52, GENERAL, [0, 0, 0, 0, 1, 2, 5, 15, 25, 25], 40, 1.5, 0.8),
    dx("I26.9", 52, GENERAL, [0, 0, 0, 3, 6, 8, 10, 15, 20, 15], 10, 4.0, 0.7),
    dx("I80.2", 52, GENERAL, [0, 0, 0, 2, 4, 5, 6, 8, 10, 8], 40, 2.0, 0.8),
    dx("I70.2", 35, ELECTIVE, [0, 0, 0, 0, 0, 0, 2, 10, 20, 10], 30, 5.0, 1.0),
    dx("I83.9", 62, ELECTIVE, [0, 0, 0, 0, 2, 6, 8, 8, 4, 1], 90, 1.0, 0.3),
    // Respiratory
    dx("J18.9", 48, WINTER, [5, 15, 8, 5, 10, 12, 18, 55, 130, 200], 5, 6.0, 0.8),
    dx("J18.1", 46, WINTER, [0, 3, 2, 1, 2, 3, 5, 12, 25, 35], 3, 6.0, 0.8),
    dx("J22", 48, WINTER, [10, 15, 5, 3, 5, 6, 10, 25, 60, 90], 10, 4.0, 0.8),
    dx("J44.1", 52, WINTER, [0, 0, 0, 0, 0, 1, 6, 40, 90, 60], 5, 5.0, 0.8),
    dx("J44.0", 52, WINTER, [0, 0, 0, 0, 0, 1, 4, 25, 60, 45], 3, 6.0, 0.8),
    dx("J69.0", 45, WINTER, [0, 2, 1, 0, 1, 1, 2, 5, 20, 55], 2, 9.0, 0.8),
    dx("J10.1", 50, WINTER, [3, 6, 3, 2, 3, 3, 3, 5, 10, 15], 10, 3.0, 0.8),
    dx("U07.1", 48, WINTER, [2, 2, 1, 1, 2, 2, 3, 6, 15, 25], 10, 5.0, 0.9),
    dx("J34.2", 35, ELECTIVE, [0, 0, 0, 4, 8, 6, 4, 3, 1, 0], 80, 1.0, 0.3),
    // Infections, renal and metabolic
    dx("A41.9", 47, GENERAL, [5, 3, 2, 2, 4, 5, 8, 25, 60, 90], 2, 8.0, 0.8),
    dx("N39.0", 65, GENERAL, [8, 10, 5, 5, 10, 10, 12, 20, 60, 130], 10, 4.0, 0.8),
    dx("N10", 75, GENERAL, [0, 2, 3, 8, 12, 8, 6, 6, 6, 5], 10, 3.0, 0.6),
    dx("N17.9", 45, GENERAL, [0, 0, 0, 0, 1, 2, 3, 10, 35, 60], 5, 7.0, 0.8),
    dx("N20.0", 40, ELECTIVE, [0, 0, 1, 3, 8, 12, 15, 15, 8, 1], 60, 1.0, 0.6),
    dx("N23", 35, GENERAL, [0, 0, 1, 5, 15, 20, 20, 15, 6, 1], 50, 1.0, 0.6),
    dx("N40", 0, ELECTIVE, [0, 0, 0, 0, 0, 0, 2, 25, 45, 20], 20, 2.0, 0.6),
    dx("E86", 55, GENERAL, [3, 8, 4, 3, 4, 4, 4, 6, 15, 35], 15, 3.0, 0.9),
    dx("E87.1", 60, GENERAL, [0, 0, 0, 0, 1, 2, 3, 10, 25, 35], 5, 6.0, 0.8),
    dx("E16.2", 48, GENERAL, [1, 1, 2, 2, 3, 3, 3, 4, 6, 6], 30, 2.0, 0.7),
    dx("D64.9", 55, GENERAL, [0, 0, 1, 2, 3, 4, 5, 10, 20, 25], 40, 2.0, 0.9),
    dx("D50.9", 70, ELECTIVE, [0, 0, 1, 2, 6, 8, 10, 10, 12, 10], 80, 1.0, 0.6),
    dx("L03.1", 45, GENERAL, [0, 2, 3, 4, 8, 10, 14, 25, 40, 45], 10, 5.0, 0.8),
    dx("L02.4", 45, GENERAL, [0, 2, 4, 6, 10, 10, 8, 6, 4, 2], 40, 1.5, 0.6),
    dx("L05.0", 30, ELECTIVE, [0, 0, 1, 10, 15, 6, 2, 1, 0, 0], 70, 1.0, 0.5),
    dx("T81.4", 50, GENERAL, [0, 0, 0, 1, 3, 4, 5, 8, 12, 8], 5, 6.0, 0.8),
    dx("T84.5", 55, GENERAL, [0, 0, 0, 0, 0, 0, 1, 4, 10, 6], 2, 12.0, 0.8),
    // Nervous system, mental and behavioural, poisoning
    dx("G40.9", 45, GENERAL, [2, 5, 8, 10, 12, 10, 10, 10, 8, 5], 30, 2.0, 0.8),
    dx("R56.8", 45, GENERAL, [3, 5, 4, 5, 6, 5, 5, 6, 8, 8], 30, 2.0, 0.8),
    dx("G43.9", 75, GENERAL, [0, 0, 3, 6, 10, 10, 8, 3, 1, 0], 40, 1.0, 0.5),
    dx("G56.0", 68, ELECTIVE, [0, 0, 0, 0, 2, 6, 12, 18, 15, 4], 97, 1.0, 0.2),
    dx("F10.0", 35, GENERAL, [0, 0, 1, 8, 12, 10, 10, 8, 3, 0], 60, 1.0, 0.6),
    dx("F10.3", 28, GENERAL, [0, 0, 0, 1, 3, 6, 10, 10, 3, 0], 10, 5.0, 0.8),
    dx("T39.1", 70, GENERAL, [0, 1, 4, 40, 20, 10, 7, 4, 1, 0], 25, 1.5, 0.6), // paracetamol overdose
    dx("T42.4", 60, GENERAL, [0, 0, 1, 8, 8, 6, 5, 3, 1, 1], 40, 1.0, 0.6),
    // Digestive
    dx("K80.2", 75, ELECTIVE, [0, 0, 0, 5, 20, 30, 35, 35, 20, 3], 75, 1.0, 0.5),
    dx("K80.0", 65, GENERAL, [0, 0, 0, 2, 5, 8, 10, 14, 15, 8], 10, 4.0, 0.7),
    dx("K81.0", 55, GENERAL, [0, 0, 0, 1, 3, 5, 7, 10, 12, 8], 10, 5.0, 0.7),
    dx("K85.9", 45, GENERAL, [0, 0, 1, 2, 6, 10, 12, 14, 14, 8], 5, 5.0, 0.8),
    dx("K56.6", 52, GENERAL, [1, 1, 1, 1, 2, 3, 4, 8, 14, 15], 5, 7.0, 0.9),
    dx("K57.3", 55, GENERAL, [0, 0, 0, 0, 1, 4, 10, 25, 35, 20], 25, 3.0, 0.8),
    dx("K92.2", 48, GENERAL, [0, 0, 1, 1, 2, 4, 6, 12, 22, 25], 15, 3.0, 0.8),
    dx("K29.7", 52, ELECTIVE, [0, 0, 2, 4, 8, 10, 12, 15, 12, 5], 85, 1.0, 0.5),
    dx("K21.9", 55, ELECTIVE, [0, 1, 2, 4, 8, 10, 14, 18, 14, 5], 90, 1.0, 0.4),
    dx("D12.6", 45, ELECTIVE, [0, 0, 0, 0, 2, 6, 15, 40, 40, 8], 95, 1.0, 0.3),
    dx("K63.5", 45, ELECTIVE, [0, 0, 0, 0, 1, 3, 8, 20, 20, 4], 95, 1.0, 0.3),
    dx("K64.9", 50, ELECTIVE, [0, 0, 0, 2, 8, 10, 10, 8, 5, 1], 85, 1.0, 0.4),
    dx("K50.9", 52, GENERAL, [0, 0, 3, 8, 10, 8, 6, 4, 3, 1], 30, 4.0, 0.8),
    dx("K51.9", 48, GENERAL, [0, 0, 2, 6, 8, 8, 6, 5, 4, 2], 30, 4.0, 0.8),
    dx("K52.9", 55, GENERAL, [2, 5, 5, 5, 8, 8, 8, 10, 12, 12], 30, 2.0, 0.8),
    dx("K70.3", 35, GENERAL, [0, 0, 0, 0, 1, 4, 10, 15, 8, 1], 5, 7.0, 0.9),
    dx("K42.9", 45, ELECTIVE, [0, 6, 2, 1, 3, 5, 6, 6, 3, 1], 85, 1.0, 0.3),
    dx("K43.9", 55, ELECTIVE, [0, 0, 0, 0, 1, 2, 4, 6, 4, 1], 40, 2.0, 0.6),
    // Injuries
    dx("S72.0", 68, GENERAL, [0, 0, 0, 0, 0, 0, 1, 4, 30, 110], 0, 14.0, 0.6), // fractured neck of femur
    dx("S72.1", 70, GENERAL, [0, 0, 0, 0, 0, 0, 1, 2, 15, 70], 0, 15.0, 0.6),
    dx("S82.6", 60, GENERAL, [0, 0, 4, 6, 8, 8, 10, 14, 10, 4], 30, 3.0, 0.7),
    dx("S42.2", 70, GENERAL, [0, 0, 1, 1, 1, 2, 3, 8, 15, 20], 30, 4.0, 0.8),
    dx("S22.3", 40, GENERAL, [0, 0, 0, 1, 2, 2, 4, 6, 10, 18], 20, 4.0, 0.8),
    // Musculoskeletal and eye
    dx("M17.1", 57, ELECTIVE, [0, 0, 0, 0, 0, 1, 5, 40, 60, 10], 2, 3.0, 0.5), // knee osteoarthritis
    dx("M16.1", 60, ELECTIVE, [0, 0, 0, 0, 0, 1, 4, 30, 50, 10], 2, 3.0, 0.5), // hip osteoarthritis
    dx("M23.2", 35, ELECTIVE, [0, 0, 1, 5, 10, 12, 15, 12, 4, 0], 95, 1.0, 0.3),
    dx("M75.1", 50, ELECTIVE, [0, 0, 0, 0, 1, 5, 12, 20, 12, 2], 85, 1.0, 0.4),
    dx("M54.5", 55, GENERAL, [0, 0, 0, 2, 6, 8, 10, 10, 10, 8], 40, 2.0, 0.9),
    dx("M72.0", 20, ELECTIVE, [0, 0, 0, 0, 0, 1, 3, 10, 10, 2], 90, 1.0, 0.3),
    dx("H25.1", 58, ELECTIVE, [0, 0, 0, 0, 0, 0, 1, 25, 130, 90], 98, 1.0, 0.2), // cataract
    // Neoplasms and chemotherapy
    dx("C50.9", 99, ELECTIVE, [0, 0, 0, 0, 1, 6, 18, 30, 25, 10], 40, 1.5, 0.7),
    dx("C34.9", 47, GENERAL, [0, 0, 0, 0, 0, 0, 2, 15, 30, 15], 10, 6.0, 0.9),
    dx("C18.9", 47, ELECTIVE, [0, 0, 0, 0, 0, 1, 3, 12, 25, 15], 15, 6.0, 0.8),
    dx("C20", 40, ELECTIVE, [0, 0, 0, 0, 0, 1, 2, 8, 15, 6], 15, 7.0, 0.8),
    dx("C61", 0, ELECTIVE, [0, 0, 0, 0, 0, 0, 1, 15, 35, 15], 40, 2.0, 0.8),
    dx("C67.9", 25, ELECTIVE, [0, 0, 0, 0, 0, 0, 2, 10, 30, 20], 60, 1.5, 0.8),
    dx("C44.3", 45, ELECTIVE, [0, 0, 0, 0, 0, 1, 2, 8, 25, 30], 97, 1.0, 0.2),
    dx("Z51.1", 55, ELECTIVE, [1, 3, 3, 3, 8, 15, 35, 90, 110, 25], 98, 1.0, 0.2), // chemotherapy
    // Gynaecology
    dx("D25.9", 100, ELECTIVE, [0, 0, 0, 0, 2, 15, 25, 6, 1, 0], 50, 2.0, 0.5),
    dx("N92.0", 100, ELECTIVE, [0, 0, 0, 3, 8, 15, 25, 5, 0, 0], 90, 1.0, 0.3),
    dx("N81.1", 100, ELECTIVE, [0, 0, 0, 0, 0, 1, 4, 12, 15, 4], 20, 2.0, 0.5),
    dx("N83.2", 100, ELECTIVE, [0, 0, 1, 5, 10, 10, 8, 4, 2, 0], 70, 1.0, 0.5),
];

// ---------------------------------------------------------------------------------------------
// Regions, postcode districts and ethnicity.

/// A postcode area's districts within one region: numeric ranges (`LS1`..`LS29` is `(1, 29)`) and
/// districts with a letter suffix, written out (`SW1A`).
struct Area {
    code: &'static str,
    /// Relative population within the region.
    weight: u32,
    ranges: &'static [(u8, u8)],
    named: &'static [&'static str],
}

const fn a(code: &'static str, weight: u32, ranges: &'static [(u8, u8)]) -> Area {
    Area { code, weight, ranges, named: &[] }
}

const fn an(
    code: &'static str,
    weight: u32,
    ranges: &'static [(u8, u8)],
    named: &'static [&'static str],
) -> Area {
    Area { code, weight, ranges, named }
}

fn area_districts(area: &Area) -> Vec<String> {
    let mut out: Vec<String> = area.named.iter().map(|s| (*s).to_string()).collect();
    for &(lo, hi) in area.ranges {
        out.extend((lo..=hi).map(|n| format!("{}{n}", area.code)));
    }
    out
}

struct RegionDef {
    /// Mid-2022 population, thousands.
    population: u32,
    /// Weights (per mille before `Z`) of [`ETHNIC_CATEGORIES`], census 2021, with `Z` (not stated) added.
    ethnicity: [u16; 17],
    areas: &'static [Area],
}

const WHITE_BRITISH: usize = 0;
const WHITE_IRISH: usize = 1;
const NOT_STATED: usize = 16;

/// The regions in the order of [`REGIONS`]. Districts straddling a regional boundary are listed
/// under the region most of their people live in; each district appears once.
#[rustfmt::skip]
const REGION_TABLE: [RegionDef; 9] = [
    RegionDef { // North East
        population: 2_683,
        ethnicity: [906, 3, 25, 3, 2, 5, 4, 7, 7, 4, 8, 1, 8, 1, 5, 10, 53],
        areas: &[
            a("NE", 1450, &[(1, 13), (15, 49), (61, 71)]),
            a("SR", 330, &[(1, 8)]),
            a("DH", 300, &[(1, 9)]),
            a("DL", 250, &[(1, 5), (12, 17)]),
            a("TS", 600, &[(1, 8), (10, 14), (16, 29)]),
        ],
    },
    RegionDef { // North West
        population: 7_517,
        ethnicity: [809, 7, 39, 7, 3, 7, 6, 16, 41, 8, 13, 4, 16, 3, 6, 15, 53],
        areas: &[
            a("M", 1900, &[(1, 9), (11, 35), (38, 38), (40, 41), (43, 46), (50, 50)]),
            a("L", 900, &[(1, 40)]),
            a("WA", 650, &[(1, 16)]),
            a("WN", 330, &[(1, 8)]),
            a("BL", 400, &[(0, 9)]),
            a("OL", 500, &[(1, 13), (15, 16)]),
            a("SK", 550, &[(1, 12), (14, 16)]),
            a("PR", 550, &[(1, 9), (25, 26)]),
            a("BB", 480, &[(1, 12), (18, 18)]),
            a("FY", 330, &[(1, 8)]),
            a("LA", 300, &[(1, 5), (7, 23)]),
            a("CA", 300, &[(1, 28)]),
            a("CH", 560, &[(1, 3), (41, 49), (60, 66)]),
            a("CW", 400, &[(1, 12)]),
        ],
    },
    RegionDef { // Yorkshire and The Humber
        population: 5_541,
        ethnicity: [817, 4, 37, 7, 2, 7, 5, 11, 54, 4, 11, 4, 13, 3, 5, 16, 53],
        areas: &[
            a("LS", 800, &[(1, 29)]),
            a("BD", 600, &[(1, 24)]),
            a("HX", 200, &[(1, 7)]),
            a("HD", 350, &[(1, 9)]),
            a("WF", 650, &[(1, 17)]),
            a("S", 1100, &[(1, 14), (17, 17), (20, 20), (25, 26), (35, 36), (60, 66), (70, 75)]),
            a("DN", 800, &[(1, 8), (11, 12), (14, 20), (31, 41)]),
            a("HU", 600, &[(1, 20)]),
            a("YO", 550, &[(1, 1), (7, 8), (10, 19), (21, 26), (30, 32), (41, 43), (51, 51), (60, 62)]),
            a("HG", 170, &[(1, 5)]),
            a("DL", 70, &[(6, 11)]),
            a("TS", 20, &[(9, 9)]),
            a("OL", 15, &[(14, 14)]),
        ],
    },
    RegionDef { // East Midlands
        population: 4_935,
        ethnicity: [802, 5, 53, 10, 3, 7, 6, 46, 12, 3, 13, 6, 15, 4, 5, 10, 53],
        areas: &[
            a("NG", 1200, &[(1, 25), (31, 34)]),
            a("LE", 1100, &[(1, 19), (65, 65), (67, 67)]),
            a("DE", 850, &[(1, 1), (3, 7), (11, 12), (21, 24), (45, 45), (55, 56), (65, 65), (72, 75)]),
            a("LN", 350, &[(1, 13)]),
            a("NN", 750, &[(1, 18), (29, 29)]),
            a("S", 300, &[(18, 18), (21, 21), (32, 33), (40, 45), (80, 81)]),
            a("PE", 350, &[(8, 12), (20, 25)]),
            a("SK", 90, &[(13, 13), (17, 17), (22, 23)]),
            a("DN", 60, &[(21, 22)]),
            a("CV", 20, &[(13, 13)]),
        ],
    },
    RegionDef { // West Midlands
        population: 6_022,
        ethnicity: [737, 7, 43, 16, 3, 8, 6, 42, 50, 10, 14, 15, 23, 6, 4, 16, 53],
        areas: &[
            a("B", 2300, &[(1, 21), (23, 38), (40, 40), (42, 50), (60, 80), (90, 98)]),
            a("CV", 850, &[(1, 12), (21, 23), (31, 37), (47, 47)]),
            a("WV", 450, &[(1, 16)]),
            a("WS", 550, &[(1, 15)]),
            a("DY", 500, &[(1, 14)]),
            a("ST", 750, &[(1, 21)]),
            a("TF", 250, &[(1, 13)]),
            a("SY", 200, &[(1, 13)]),
            a("WR", 400, &[(1, 15)]),
            a("HR", 190, &[(1, 9)]),
            a("DE", 110, &[(13, 15)]),
        ],
    },
    RegionDef { // East of England
        population: 6_398,
        ethnicity: [789, 9, 77, 9, 4, 8, 7, 20, 13, 9, 13, 6, 20, 4, 6, 9, 53],
        areas: &[
            a("CB", 450, &[(1, 11), (21, 25)]),
            a("CO", 400, &[(1, 16)]),
            a("CM", 700, &[(0, 24), (77, 77)]),
            a("IP", 650, &[(1, 33)]),
            a("NR", 800, &[(1, 35)]),
            a("PE", 600, &[(1, 7), (13, 19), (26, 38)]),
            a("SG", 500, &[(1, 19)]),
            a("AL", 300, &[(1, 10)]),
            a("LU", 330, &[(1, 7)]),
            a("MK", 200, &[(40, 45)]),
            a("SS", 550, &[(0, 17)]),
            a("HP", 140, &[(1, 4), (23, 23)]),
            a("EN", 250, &[(6, 11)]),
            a("WD", 300, &[(3, 7), (17, 19), (23, 25)]),
            a("RM", 170, &[(15, 20)]),
            a("IG", 90, &[(7, 7), (9, 10)]),
        ],
    },
    RegionDef { // London
        population: 8_866,
        ethnicity: [368, 18, 147, 15, 9, 15, 19, 75, 33, 37, 46, 39, 79, 21, 17, 63, 53],
        areas: &[
            an("E", 1300, &[(1, 18), (20, 20)], &["E1W"]),
            an("EC", 15, &[], &["EC1A", "EC1M", "EC1N", "EC1R", "EC1V", "EC1Y", "EC2A", "EC2M", "EC2N",
                "EC2R", "EC2V", "EC2Y", "EC3A", "EC3M", "EC3N", "EC3R", "EC3V", "EC4A", "EC4M", "EC4N",
                "EC4R", "EC4V", "EC4Y"]),
            an("N", 1000, &[(1, 22)], &["N1C"]),
            a("NW", 700, &[(1, 11)]),
            a("SE", 1300, &[(1, 28)]),
            an("SW", 1100, &[(2, 20)], &["SW1A", "SW1E", "SW1H", "SW1P", "SW1V", "SW1W", "SW1X", "SW1Y"]),
            an("W", 700, &[(2, 14)], &["W1B", "W1C", "W1D", "W1F", "W1G", "W1H", "W1J", "W1K", "W1S", "W1T",
                "W1U", "W1W"]),
            an("WC", 20, &[], &["WC1A", "WC1B", "WC1E", "WC1H", "WC1N", "WC1R", "WC1V", "WC1X", "WC2A",
                "WC2B", "WC2E", "WC2H", "WC2N", "WC2R"]),
            a("BR", 330, &[(1, 7)]),
            a("CR", 450, &[(0, 0), (2, 2), (4, 5), (7, 8)]),
            a("HA", 500, &[(0, 9)]),
            a("IG", 350, &[(1, 6), (8, 8), (11, 11)]),
            a("RM", 450, &[(1, 14)]),
            a("SM", 200, &[(1, 6)]),
            a("TW", 450, &[(1, 14)]),
            a("UB", 350, &[(1, 10)]),
            a("EN", 300, &[(1, 5)]),
            a("DA", 230, &[(5, 8), (14, 18)]),
            a("KT", 230, &[(1, 6), (9, 9)]),
        ],
    },
    RegionDef { // South East
        population: 9_380,
        ethnicity: [790, 8, 72, 9, 4, 10, 8, 22, 15, 5, 17, 4, 15, 3, 6, 12, 53],
        areas: &[
            a("BN", 900, &[(1, 3), (5, 18), (20, 27), (41, 45)]),
            a("CT", 450, &[(1, 21)]),
            a("GU", 1000, &[(1, 35), (46, 47), (51, 52)]),
            a("ME", 650, &[(1, 20)]),
            a("MK", 350, &[(1, 19), (46, 46)]),
            a("OX", 650, &[(1, 18), (20, 20), (25, 29), (33, 33), (39, 39), (44, 44), (49, 49)]),
            a("PO", 900, &[(1, 22), (30, 41)]),
            a("RG", 1100, &[(1, 12), (14, 14), (17, 31), (40, 42), (45, 45)]),
            a("RH", 700, &[(1, 20)]),
            a("SL", 450, &[(0, 9)]),
            a("SO", 800, &[(14, 24), (30, 32), (40, 43), (45, 45), (50, 53)]),
            a("TN", 900, &[(1, 40)]),
            a("HP", 400, &[(5, 22), (27, 27)]),
            a("KT", 450, &[(7, 8), (10, 24)]),
            a("DA", 250, &[(1, 4), (9, 13)]),
            a("TW", 300, &[(15, 20)]),
            a("SN", 30, &[(7, 7)]),
            a("SP", 80, &[(6, 6), (10, 11)]),
            a("BH", 60, &[(24, 25)]),
            a("BR", 20, &[(8, 8)]),
            a("CR", 40, &[(3, 3), (6, 6)]),
            a("SM", 25, &[(7, 7)]),
        ],
    },
    RegionDef { // South West
        population: 5_765,
        ethnicity: [878, 6, 50, 6, 3, 7, 6, 8, 3, 3, 8, 3, 6, 2, 5, 8, 53],
        areas: &[
            a("BA", 500, &[(1, 16), (20, 22)]),
            a("BH", 600, &[(1, 23), (31, 31)]),
            a("BS", 1100, &[(1, 16), (20, 32), (34, 37), (39, 41), (48, 49)]),
            a("DT", 220, &[(1, 11)]),
            a("EX", 650, &[(1, 39)]),
            a("GL", 650, &[(1, 20), (50, 56)]),
            a("PL", 600, &[(1, 35)]),
            a("SN", 450, &[(1, 6), (8, 16), (25, 26)]),
            a("SP", 120, &[(1, 5), (7, 9)]),
            a("TA", 350, &[(1, 24)]),
            a("TQ", 300, &[(1, 14)]),
            a("TR", 300, &[(1, 27)]),
        ],
    },
];

/// Letters of the inward code's last two places (C, I, K, M, O, V are never used there).
const INWARD_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

// ---------------------------------------------------------------------------------------------
// Names. No entry contains a comma or a double quote.

const ENGLISH: usize = 0;
const IRISH: usize = 1;

/// Name group of each ethnic category: 0 English, 1 Irish, 2.. index + 2 into [`OTHER_NAMES`].
const ETHNIC_NAME_GROUP: [usize; 17] = [0, 1, 2, 0, 0, 0, 0, 3, 4, 4, 3, 0, 5, 5, 6, 7, 0];

/// English given names by birth cohort: before 1950, 1950–1979, 1980–1999, 2000 on.
#[rustfmt::skip]
const ENGLISH_FEMALE: [&[&str]; 4] = [
    &["Margaret", "Mary", "Patricia", "Joan", "Jean", "Sheila", "Barbara", "Doris", "Dorothy", "Irene",
      "Betty", "Joyce", "Sylvia", "Audrey", "Pauline", "Maureen", "Brenda", "Kathleen", "Elizabeth",
      "Eileen", "Marjorie", "Edna", "Vera", "Iris", "Gladys", "Phyllis", "Valerie", "Shirley", "June",
      "Beryl", "Hilda", "Elsie", "Mavis", "Ann", "Freda", "Winifred", "Marion", "Gwendoline", "Rita",
      "Evelyn"],
    &["Susan", "Linda", "Christine", "Karen", "Julie", "Elaine", "Janet", "Carol", "Sandra", "Deborah",
      "Tracey", "Jacqueline", "Alison", "Lesley", "Gillian", "Wendy", "Angela", "Lynn", "Diane", "Jane",
      "Helen", "Amanda", "Sarah", "Nicola", "Joanne", "Lisa", "Michelle", "Caroline", "Kim", "Dawn",
      "Beverley", "Jennifer", "Catherine", "Denise", "Anne", "Yvonne", "Teresa", "Heather", "Ruth",
      "Marie"],
    &["Emma", "Rebecca", "Laura", "Sarah", "Claire", "Gemma", "Kelly", "Stacey", "Hannah", "Charlotte",
      "Amy", "Lauren", "Jessica", "Sophie", "Katie", "Rachel", "Natalie", "Victoria", "Hayley",
      "Danielle", "Leanne", "Jennifer", "Samantha", "Kirsty", "Zoe", "Lucy", "Jodie", "Kerry", "Louise",
      "Stephanie", "Emily", "Amber", "Chloe", "Holly", "Jade", "Georgia", "Bethany", "Megan", "Nicola",
      "Kayleigh"],
    &["Olivia", "Amelia", "Isla", "Ava", "Mia", "Isabella", "Grace", "Lily", "Sophia", "Freya", "Ella",
      "Evie", "Poppy", "Charlotte", "Florence", "Willow", "Rosie", "Ivy", "Phoebe", "Daisy", "Sienna",
      "Matilda", "Harper", "Millie", "Alice", "Elsie", "Evelyn", "Emily", "Ruby", "Scarlett", "Erin",
      "Jessica", "Maisie", "Chloe", "Lucy", "Holly", "Ellie", "Megan", "Eva", "Layla"],
];

/// English given names by birth cohort: before 1950, 1950–1979, 1980–1999, 2000 on.
#[rustfmt::skip]
const ENGLISH_MALE: [&[&str]; 4] = [
    &["John", "William", "George", "Kenneth", "Ronald", "Dennis", "Peter", "Brian", "Derek", "Roy",
      "Frank", "Arthur", "Albert", "Harold", "Leslie", "Donald", "Raymond", "Norman", "Stanley", "Alan",
      "Eric", "Geoffrey", "Gordon", "Terence", "Bernard", "Frederick", "Walter", "Ernest", "Douglas",
      "Cyril", "Reginald", "Thomas", "Jack", "Robert", "Keith", "Colin", "Maurice", "Sidney", "Edward",
      "Michael"],
    &["David", "Paul", "Andrew", "Mark", "Stephen", "Michael", "Ian", "Gary", "Steven", "Richard",
      "Robert", "Christopher", "Kevin", "Martin", "Anthony", "Simon", "Philip", "Neil", "Graham", "Nigel",
      "Timothy", "Jonathan", "Stuart", "Darren", "Carl", "Wayne", "Dean", "Lee", "Shaun", "Trevor",
      "Keith", "Peter", "Alan", "Barry", "Colin", "Jeffrey", "Russell", "Adrian", "Julian", "Craig"],
    &["Daniel", "James", "Thomas", "Matthew", "Christopher", "Adam", "Luke", "Ryan", "Jamie", "Liam",
      "Michael", "Jack", "Joshua", "Benjamin", "Samuel", "Sam", "Ashley", "Craig", "Scott", "Jonathan",
      "Nathan", "Lewis", "Callum", "Jordan", "Connor", "Alexander", "Kieran", "Aaron", "Ben", "Dean",
      "Robert", "Lee", "Carl", "Jake", "Joe", "Tom", "Bradley", "Stephen", "Richard", "Andrew"],
    &["Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Oscar", "Charlie", "Jacob",
      "Thomas", "Henry", "William", "Freddie", "Theo", "Alfie", "Archie", "Joshua", "James", "Ethan",
      "Isaac", "Alexander", "Joseph", "Edward", "Samuel", "Max", "Logan", "Lucas", "Harrison", "Teddy",
      "Finley", "Tommy", "Dylan", "Mason", "Reuben", "Toby", "Riley", "Jude", "Louie", "Sebastian"],
];

/// English family names, most frequent first (drawn with weight ∝ 1 / (rank + 12)).
#[rustfmt::skip]
const ENGLISH_FAMILY: &[&str] = &[
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward",
    "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James",
    "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell",
    "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller",
    "Cox", "Richards", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Wilkinson", "Foster",
    "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Hunt", "Campbell", "Matthews", "Owen",
    "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker", "Fisher",
    "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Graham", "Pearson", "Fletcher", "Walsh", "Gibson",
    "Howard", "Andrews", "Stewart", "Elliott", "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce",
    "Day", "Brooks", "West", "Lawrence", "Cole", "Atkinson", "Bradley", "Spencer", "Dawson", "Ball",
    "Burton", "O'Brien", "Watts", "Rose", "Booth", "Perry", "Ryan", "Grant", "Wells", "Armstrong",
    "Francis", "Rees", "Hayes", "Hart", "Hudson", "Newman", "Barrett", "Webster", "Hunter", "Gregory",
    "Carr", "Lowe", "Page", "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry", "Stone", "Reid",
    "Holland", "Hawkins", "Harding", "Porter", "Robertson", "Newton", "Oliver", "Reed", "Kennedy",
    "Williamson", "Bird", "Gardner", "Dean", "Lane", "Cooke", "Bates", "Henderson", "Parry", "Burgess",
    "Bishop", "Walton", "Burns", "Nicholson", "Shepherd", "Ross", "Cross", "Long", "Freeman", "Warren",
    "Nicholls", "Hamilton", "Byrne", "Sutton", "McDonald", "Yates", "Hodgson", "Robson", "Curtis",
    "Hopkins", "O'Connor", "Harper", "Coleman", "Watkins", "Moss", "McCarthy", "Chambers", "O'Neill",
    "Griffin", "Sharp", "Hardy", "Wheeler", "Potter", "Osborne", "Johnston", "Gordon", "Doyle", "Wallace",
    "George", "Jordan", "Hutchinson", "Rowe", "Burke", "May", "Pritchard", "Gilbert", "Willis", "Higgins",
    "Read", "Miles", "Stevenson", "Stephenson", "Hammond", "Arnold", "Buckley", "Walters", "Hewitt",
    "Barber", "Nelson", "Slater", "Austin", "Sullivan", "Whitehead", "Mann", "Frost", "Lambert",
    "Stephens", "Blake", "Lynch", "Goodwin", "Barton", "Woodward", "Thomson", "Cunningham", "Quinn",
    "Barnett", "Baxter", "Clayton", "Nash", "Greenwood", "Jennings", "Holt", "Kemp", "Poole",
    "Gallagher", "Bond", "Stokes", "Tucker", "Davidson", "Fowler", "Heath", "Norman", "Middleton",
    "Lawson", "Banks", "French", "Stanley", "Jarvis", "Gibbs", "Ferguson", "Hayward", "Carroll",
    "Douglas", "Dickinson", "Todd", "Barlow", "Peters", "Lucas", "Knowles", "Hartley", "Simmons",
    "Morton", "Alexander", "Field", "Morrison", "Norris", "Townsend", "Preston", "Hancock", "Thornton",
    "Baldwin", "Burrows", "Briggs", "Storey", "Pope", "Myers",
];

#[rustfmt::skip]
const IRISH_FAMILY: &[&str] = &[
    "Murphy", "Kelly", "O'Brien", "Byrne", "Ryan", "O'Sullivan", "Walsh", "O'Connor", "McCarthy", "Doyle",
    "Gallagher", "Quinn", "Kennedy", "Lynch", "Brennan", "Fitzgerald", "Doherty", "Kavanagh", "Nolan",
    "Maguire",
];

struct NameGroup {
    female: &'static [&'static str],
    male: &'static [&'static str],
    family: &'static [&'static str],
}

/// Other White; Indian and other Asian; Pakistani and Bangladeshi; Black African and other Black;
/// Chinese; Arab and other.
#[rustfmt::skip]
const OTHER_NAMES: [NameGroup; 6] = [
    NameGroup {
        female: &["Agnieszka", "Katarzyna", "Anna", "Magdalena", "Ioana", "Elena", "Andreea", "Maria", "Ewa",
            "Monika", "Giulia", "Ana", "Sofia", "Joanna", "Inês", "Kristina"],
        male: &["Piotr", "Tomasz", "Krzysztof", "Andrei", "Mihai", "Marek", "Pavel", "Lukas", "Marco", "João",
            "Jakub", "Adrian", "Daniel", "Alexandru", "Marius", "Stefan"],
        family: &["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kaczmarek", "Popescu", "Ionescu", "Popa",
            "Dumitru", "Silva", "Santos", "Rossi", "Ferreira", "Novak", "Horvath", "Kazlauskas", "Costa",
            "Petrov", "Ivanova", "Schmidt"],
    },
    NameGroup {
        female: &["Priya", "Anjali", "Sunita", "Meera", "Pooja", "Kavita", "Nisha", "Harpreet", "Manjit",
            "Jaspreet", "Asha", "Lakshmi", "Shreya", "Anika", "Divya", "Kamala"],
        male: &["Rajesh", "Arjun", "Sanjay", "Vikram", "Rahul", "Gurpreet", "Harjit", "Sandeep", "Anil",
            "Ravi", "Amit", "Dev", "Rohan", "Arun", "Suresh", "Kuldip"],
        family: &["Patel", "Singh", "Kaur", "Sharma", "Shah", "Gupta", "Kumar", "Mehta", "Joshi", "Sandhu",
            "Gill", "Mistry", "Parmar", "Chauhan", "Desai", "Bains", "Dhillon", "Perera", "Nair"],
    },
    NameGroup {
        female: &["Fatima", "Aisha", "Ayesha", "Zainab", "Maryam", "Nusrat", "Sadia", "Rukhsana", "Shazia",
            "Nazia", "Hafsa", "Amina", "Samina", "Iqra", "Safiya"],
        male: &["Mohammed", "Muhammad", "Ahmed", "Imran", "Abdul", "Hamza", "Omar", "Bilal", "Asif", "Tariq",
            "Usman", "Zain", "Ibrahim", "Yusuf", "Shahid"],
        family: &["Khan", "Hussain", "Ahmed", "Ali", "Akhtar", "Begum", "Bibi", "Mahmood", "Iqbal", "Rahman",
            "Miah", "Uddin", "Islam", "Ahmad", "Rashid", "Malik", "Chowdhury"],
    },
    NameGroup {
        female: &["Blessing", "Grace", "Ngozi", "Chioma", "Abena", "Folake", "Yetunde", "Amaka", "Esther",
            "Faith", "Adaeze", "Temitope", "Fatmata", "Mercy", "Hodan"],
        male: &["Emmanuel", "Samuel", "Chukwuemeka", "Oluwaseun", "Kwame", "Kofi", "Babatunde", "Emeka",
            "Tunde", "Daniel", "Ifeanyi", "Segun", "Abdi", "Mohamed", "Joseph"],
        family: &["Okafor", "Adeyemi", "Mensah", "Boateng", "Okonkwo", "Adebayo", "Owusu", "Osei", "Asante",
            "Nwosu", "Eze", "Mohamed", "Abdi", "Ogunleye", "Bangura", "Warsame"],
    },
    NameGroup {
        female: &["Mei", "Jing", "Xin", "Yan", "Li Na", "Wing", "Hui", "Ying", "Lai Ling", "Xiaoling"],
        male: &["Wei", "Jun", "Hao", "Ming", "Chi Keung", "Kai", "Jian", "Tao", "Wai Man", "Zhiwei"],
        family: &["Wong", "Chan", "Li", "Zhang", "Wang", "Chen", "Liu", "Lam", "Cheung", "Lau", "Ng", "Ho",
            "Yang"],
    },
    NameGroup {
        female: &["Layla", "Mariam", "Nour", "Yasmin", "Rania", "Huda", "Sara", "Dina"],
        male: &["Ahmed", "Khalid", "Youssef", "Karim", "Omar", "Hassan", "Ali", "Samir"],
        family: &["Hassan", "Ibrahim", "Mahmoud", "Haddad", "Abdullah", "Saleh", "Ali", "Osman", "Mansour",
            "Nasser"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn line(p: &Patient) -> String {
        format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            p.nhs_number,
            p.name,
            p.date_of_birth,
            p.age,
            p.sex,
            p.ethnicity,
            p.postcode,
            p.region,
            p.admission_date,
            p.diagnosis,
            p.length_of_stay
        )
    }

    const FIRST_ADMISSION: &str = "2025-04-01";
    const LAST_ADMISSION: &str = "2026-03-31";

    /// Whether a 10-digit string is a valid NHS number (modulus 11, weights 10 down to 2).
    fn nhs_number_is_valid(s: &str) -> bool {
        let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
        if digits.len() != 10 || s.len() != 10 {
            return false;
        }
        let sum: u32 = digits[..9].iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
        match 11 - sum % 11 {
            11 => digits[9] == 0,
            10 => false,
            check => digits[9] == check,
        }
    }

    fn day(s: &str) -> i32 {
        let parts: Vec<u32> = s.split('-').map(|x| x.parse().expect("numeric date part")).collect();
        assert_eq!(parts.len(), 3, "{s}");
        assert_eq!(s.len(), 10, "{s}");
        days_from_civil(parts[0] as i32, parts[1], parts[2])
    }

    fn sample(seed: u64, n: u64) -> Vec<Patient> {
        let g = PatientGenerator::new(seed);
        (0..n).map(|i| g.patient(i)).collect()
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a = sample(7, 2_000);
        assert_eq!(a, sample(7, 2_000));
        let b = sample(8, 2_000);
        let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        assert_eq!(same, 0, "different seeds must give different rows");
        // Order-independent: a record does not depend on which records were generated before.
        let g = PatientGenerator::new(7);
        assert_eq!(g.patient(1_999), a[1_999]);
        assert_eq!(g.patient(5), a[5]);
    }

    #[test]
    fn nhs_numbers_valid_unique_and_not_sequential() {
        let g = PatientGenerator::new(1);
        let numbers: Vec<String> = (0..10_000).map(|i| g.patient(i).nhs_number).collect();
        let mut close = 0;
        for (i, n) in numbers.iter().enumerate() {
            assert!(nhs_number_is_valid(n), "{n}");
            assert!(matches!(n.as_bytes()[0], b'4' | b'6' | b'7'), "{n}");
            if i > 0 {
                let a: i64 = n.parse().expect("digits");
                let b: i64 = numbers[i - 1].parse().expect("digits");
                close += usize::from((a - b).abs() < 1_000);
            }
        }
        assert!(close < 5, "{close} consecutive numbers are close");
        let mut sorted = numbers.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), numbers.len(), "duplicate NHS numbers");
        // The validator itself rejects bad check digits (known-valid example: 943 476 5919).
        assert!(nhs_number_is_valid("9434765919"));
        assert!(!nhs_number_is_valid("9434765918"));
        assert!(!nhs_number_is_valid("943476591"));
    }

    #[test]
    fn nhs_mapping_is_injective_on_a_dense_block() {
        // The first 9,000 row indices map to distinct valid numbers.
        let mut seen: Vec<u64> = (0..9_000).map(|y| nhs_number(y, 42)).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 9_000);
        for n in seen {
            assert!(nhs_number_is_valid(&format!("{n:010}")), "{n}");
        }
    }

    #[test]
    fn permutation_is_a_bijection() {
        let n = 1_000u64;
        let mut out: Vec<u64> = (0..n).map(|x| permute_below(x, n, 10, 99)).collect();
        out.sort_unstable();
        assert_eq!(out, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn dates_and_ages_are_consistent() {
        let first = day(FIRST_ADMISSION);
        let last = day(LAST_ADMISSION);
        assert_eq!((last - first + 1) as usize, FY_DAYS);
        for p in sample(3, 20_000) {
            let admitted = day(&p.admission_date);
            let born = day(&p.date_of_birth);
            assert!((first..=last).contains(&admitted), "{p:?}");
            let (ay, am, ad) = civil_from_days(admitted);
            let (by, bm, bd) = civil_from_days(born);
            let age = ay - by - i32::from((am, ad) < (bm, bd));
            assert_eq!(age, p.age as i32, "{p:?}");
            assert!(p.age <= 105 && born <= admitted, "{p:?}");
            assert!(p.length_of_stay <= 365, "{p:?}");
            if p.diagnosis == "Z38.0" {
                assert_eq!(born, admitted, "{p:?}");
            }
        }
    }

    #[test]
    fn leap_day_births_get_the_right_age() {
        // Born 2000-02-29: 25 on 2025-03-01 but still 24 on 2025-02-28.
        let leap_day = days_from_civil(2000, 2, 29);
        let (lo, hi) = birth_range((2025, 3, 1), 25);
        assert!((lo..=hi).contains(&leap_day));
        assert_eq!((lo, hi), (days_from_civil(1999, 3, 2), days_from_civil(2000, 3, 1)));
        let (lo, hi) = birth_range((2025, 2, 28), 24);
        assert!((lo..=hi).contains(&leap_day));
        let (lo, hi) = birth_range((2025, 2, 28), 25);
        assert!(!(lo..=hi).contains(&leap_day));
        // Admitted on a leap day: the range runs from 1 March 29 years before to 29 February 28 years before.
        let (lo, hi) = birth_range((2024, 2, 29), 28);
        assert_eq!((lo, hi), (days_from_civil(1995, 3, 1), days_from_civil(1996, 2, 29)));
    }

    #[test]
    fn postcodes_are_shaped_and_match_the_region() {
        for p in sample(4, 20_000) {
            let (outward, inward) = p.postcode.split_once(' ').expect("a space in the postcode");
            assert_eq!(region_of_district(outward), Some(p.region), "{p:?}");
            let b = inward.as_bytes();
            assert_eq!(b.len(), 3, "{p:?}");
            assert!(b[0].is_ascii_digit(), "{p:?}");
            assert!(INWARD_LETTERS.contains(&b[1]) && INWARD_LETTERS.contains(&b[2]), "{p:?}");
            assert!((2..=4).contains(&outward.len()), "{p:?}");
        }
    }

    #[test]
    fn district_table_is_real_looking_and_unique() {
        let g = PatientGenerator::new(0);
        let mut names: Vec<&str> = g.districts.iter().map(|d| d.name.as_str()).collect();
        let total = names.len();
        assert!(total > 1_000, "{total} districts");
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), total, "a district is listed twice");
        for d in &g.districts {
            assert_eq!(region_of_district(&d.name), Some(REGIONS[d.region]), "{}", d.name);
            let letters = d.name.bytes().take_while(u8::is_ascii_alphabetic).count();
            assert!((1..=2).contains(&letters), "{}", d.name);
        }
        for (region, def) in REGION_TABLE.iter().enumerate() {
            let mut areas: Vec<&str> = def.areas.iter().map(|a| a.code).collect();
            areas.sort_unstable();
            areas.dedup();
            assert!(areas.len() >= 5, "{}: {} areas", REGIONS[region], areas.len());
        }
        for (district, region) in [
            ("LS6", "Yorkshire and The Humber"),
            ("M14", "North West"),
            ("B15", "West Midlands"),
            ("SW1A", "London"),
            ("NE1", "North East"),
            ("BS8", "South West"),
            ("S40", "East Midlands"),
            ("S10", "Yorkshire and The Humber"),
            ("SE1", "London"),
            ("E1W", "London"),
            ("CB2", "East of England"),
            ("OX3", "South East"),
        ] {
            assert_eq!(region_of_district(district), Some(region), "{district}");
        }
        for bad in ["ZZ1", "W1", "SW1", "LS99", "LS06", "S", "", "EC1", "M10", "LS6 2QT"] {
            assert_eq!(region_of_district(bad), None, "{bad}");
        }
    }

    #[test]
    fn obstetric_and_sex_specific_codes() {
        let mut obstetric = 0;
        for p in sample(5, 100_000) {
            if p.diagnosis.starts_with('O') {
                obstetric += 1;
                assert_eq!(p.sex, "Female", "{p:?}");
                assert!((15..=50).contains(&p.age), "{p:?}");
            }
            if p.diagnosis.starts_with('P') || p.diagnosis == "Z38.0" || p.diagnosis == "J21.9" {
                assert!(p.age <= 4, "{p:?}");
            }
            if matches!(p.diagnosis, "C61" | "N40" | "Q53.1") {
                assert_eq!(p.sex, "Male", "{p:?}");
            }
            if matches!(p.diagnosis, "D25.9" | "N92.0" | "N81.1" | "N83.2") {
                assert_eq!(p.sex, "Female", "{p:?}");
            }
        }
        assert!(obstetric > 5_000, "{obstetric} obstetric rows");
    }

    #[test]
    fn distributions_are_plausible() {
        let rows = sample(6, 100_000);
        let n = rows.len() as f64;
        let share = |f: &dyn Fn(&Patient) -> bool| rows.iter().filter(|p| f(p)).count() as f64 / n;
        let white_british = share(&|p| p.ethnicity == "A");
        assert!((0.6..=0.85).contains(&white_british), "A: {white_british}");
        let not_stated = share(&|p| p.ethnicity == "Z");
        assert!((0.03..=0.07).contains(&not_stated), "Z: {not_stated}");
        let old = share(&|p| p.age >= 65);
        assert!((0.3..=0.6).contains(&old), "65+: {old}");
        let babies = share(&|p| p.age == 0);
        assert!((0.02..=0.1).contains(&babies), "under 1: {babies}");
        let female = share(&|p| p.sex == "Female");
        assert!((0.5..=0.54).contains(&female), "female: {female}");
        let london = share(&|p| p.region == "London");
        assert!((0.12..=0.19).contains(&london), "London: {london}");

        // London is more diverse than the North East.
        let a_in = |region: &str| {
            let r: Vec<_> = rows.iter().filter(|p| p.region == region).collect();
            r.iter().filter(|p| p.ethnicity == "A").count() as f64 / r.len() as f64
        };
        assert!(a_in("London") + 0.3 < a_in("North East"), "{} {}", a_in("London"), a_in("North East"));

        // Fewer admissions per day at weekends; more in January than in July.
        let mut by_weekday = [0u32; 7];
        let mut by_month = [0u32; 13];
        for p in &rows {
            let d = day(&p.admission_date);
            by_weekday[weekday(d)] += 1;
            by_month[civil_from_days(d).1 as usize] += 1;
        }
        let weekday_mean = by_weekday[..5].iter().sum::<u32>() as f64 / 5.0;
        let weekend_mean = by_weekday[5..].iter().sum::<u32>() as f64 / 2.0;
        assert!(weekend_mean < 0.85 * weekday_mean, "{by_weekday:?}");
        assert!(weekend_mean > 0.4 * weekday_mean, "{by_weekday:?}");
        assert!(by_month[1] as f64 > 1.1 * by_month[7] as f64, "{by_month:?}");

        // Stays follow the diagnosis.
        let median = |code: &str| {
            let mut v: Vec<u32> =
                rows.iter().filter(|p| p.diagnosis == code).map(|p| p.length_of_stay).collect();
            assert!(v.len() > 50, "{code}: {} rows", v.len());
            v.sort_unstable();
            v[v.len() / 2]
        };
        assert!((10..=30).contains(&median("S72.0")), "hip fracture {}", median("S72.0"));
        assert_eq!(median("H25.1"), 0);
        assert!(median("J18.9") >= 4);
        let hip_old = rows.iter().filter(|p| p.diagnosis.starts_with("S72")).filter(|p| p.age >= 65).count();
        let hip = rows.iter().filter(|p| p.diagnosis.starts_with("S72")).count();
        assert!(hip_old as f64 > 0.9 * hip as f64, "{hip_old}/{hip}");
        let mut codes: Vec<&str> = rows.iter().map(|p| p.diagnosis).collect();
        codes.sort_unstable();
        codes.dedup();
        assert!(codes.len() >= 120, "{} distinct diagnoses", codes.len());
    }

    #[test]
    fn names_fit_sex_and_need_no_quoting() {
        let female: Vec<&str> = ENGLISH_FEMALE.iter().flat_map(|l| l.iter().copied()).collect();
        let male: Vec<&str> = ENGLISH_MALE.iter().flat_map(|l| l.iter().copied()).collect();
        let mut old_female = 0;
        for p in sample(9, 20_000) {
            assert!(!p.name.contains([',', '"', '\n']), "{p:?}");
            let (given, family) = p.name.split_once(' ').expect("given and family name");
            assert!(!family.is_empty(), "{p:?}");
            if p.ethnicity == "A" {
                let list = if p.sex == "Female" { &female } else { &male };
                assert!(list.contains(&given), "{p:?}");
                if p.sex == "Female" && p.age >= 90 && ENGLISH_FEMALE[0].contains(&given) {
                    old_female += 1;
                }
                if p.age <= 10 {
                    let modern = if p.sex == "Female" { ENGLISH_FEMALE[3] } else { ENGLISH_MALE[3] };
                    assert!(modern.contains(&given), "{p:?}");
                }
            }
        }
        assert!(old_female > 0);
    }

    #[test]
    fn diagnosis_table_is_well_formed() {
        let mut codes: Vec<&str> = DIAGNOSES.iter().map(|d| d.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), DIAGNOSES.len(), "duplicate code");
        for d in &DIAGNOSES {
            let b = d.code.as_bytes();
            let shaped = b[0].is_ascii_uppercase()
                && b[1].is_ascii_digit()
                && b[2].is_ascii_digit()
                && (b.len() == 3 || (b.len() == 5 && b[3] == b'.' && b[4].is_ascii_digit()));
            assert!(shaped, "{}", d.code);
            assert!(d.weights.iter().any(|&w| w > 0), "{}", d.code);
            if d.code.starts_with('O') {
                assert_eq!(d.female, 100, "{}", d.code);
                assert!(d.weights[..3].iter().chain(&d.weights[7..]).all(|&w| w == 0), "{}", d.code);
            }
        }
        // Every (sex, age group) table can draw something.
        let g = PatientGenerator::new(0);
        assert_eq!(g.dx_table.len(), 2 * AGE_GROUPS);
        let tables = g.age_table.iter().chain(&g.day_table).chain(&g.ethnicity_table).chain(&g.dx_table);
        for t in tables.chain([&g.district_table, &g.english_family_table]) {
            assert!(t.total > 0 && !t.keep.is_empty());
        }
    }

    #[test]
    fn alias_tables_draw_with_the_weights() {
        let weights = [5u64, 0, 1, 10, 0, 4, 30];
        let t = Alias::new(weights);
        let total: u64 = weights.iter().sum();
        let mut counts = [0u64; 7];
        let r = &mut Rng::new(3);
        let n = 500_000;
        for _ in 0..n {
            counts[t.draw(r)] += 1;
        }
        for (i, (&w, &c)) in weights.iter().zip(&counts).enumerate() {
            let expected = n as f64 * w as f64 / total as f64;
            assert!((c as f64 - expected).abs() <= 5.0 * expected.sqrt() + 1.0, "{i}: {c} vs {expected}");
        }
        // Exact probabilities: the mass of each outcome over all slots equals its weight × n.
        let slots = t.keep.len() as u64;
        let mut mass = vec![0u64; weights.len()];
        for s in 0..t.keep.len() {
            mass[s] += t.keep[s];
            mass[t.alias[s] as usize] += t.total - t.keep[s];
        }
        let expected: Vec<u64> = weights.iter().map(|w| w * slots).collect();
        assert_eq!(mass, expected);
    }

    #[test]
    fn csv_equals_the_records() {
        let rows = 3 * CHUNK_ROWS + 17; // several chunks, so several threads when there are cores
        let mut out = Vec::new();
        write_patients_csv(&mut out, 0..rows, 11).expect("write to a Vec");
        let text = String::from_utf8(out).expect("UTF-8");
        assert_eq!(text.lines().count() as u64, rows + 1);
        let g = PatientGenerator::new(11);
        let mut expected = PATIENT_COLUMNS.join(",");
        expected.push('\n');
        for i in 0..rows {
            expected.push_str(&line(&g.patient(i)));
        }
        assert!(text == expected, "CSV differs from patient(i) rows");

        // A range starting past 0 (not on a chunk boundary) is the same rows: parts concatenate.
        let first = CHUNK_ROWS + 5;
        let mut part = Vec::new();
        write_patients_csv(&mut part, first..rows, 11).expect("write to a Vec");
        let part = String::from_utf8(part).expect("UTF-8");
        let (header, body) = part.split_once('\n').expect("a header");
        assert_eq!(header, PATIENT_COLUMNS.join(","));
        let skip: usize = expected.lines().take(1 + first as usize).map(|l| l.len() + 1).sum();
        assert!(body == &expected[skip..], "rows {first}.. differ from patient(i) rows");

        let mut empty = Vec::new();
        write_patients_csv(&mut empty, 7..7, 11).expect("write to a Vec");
        assert_eq!(empty, format!("{}\n", PATIENT_COLUMNS.join(",")).into_bytes());
    }

    #[test]
    fn csv_write_errors_are_returned() {
        struct Failing(usize);
        impl Write for Failing {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                if self.0 > 1 << 20 {
                    return Err(io::Error::other("disk full"));
                }
                self.0 += buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let err = write_patients_csv(Failing(0), 0..10 * CHUNK_ROWS, 1).expect_err("must fail");
        assert_eq!(err.to_string(), "disk full");
    }

    #[test]
    fn columns_equal_the_records() {
        let g = PatientGenerator::new(12);
        let c = g.columns(1_000, 300);
        assert_eq!(c.nhs_number.len(), 300);
        for (k, i) in (1_000..1_300).enumerate() {
            let p = g.patient(i);
            let q = Patient {
                nhs_number: c.nhs_number[k].clone(),
                name: c.name[k].clone(),
                date_of_birth: c.date_of_birth[k].clone(),
                age: c.age[k],
                sex: c.sex[k],
                ethnicity: c.ethnicity[k],
                postcode: c.postcode[k].clone(),
                region: c.region[k],
                admission_date: c.admission_date[k].clone(),
                diagnosis: c.diagnosis[k],
                length_of_stay: c.length_of_stay[k],
            };
            assert_eq!(p, q);
        }
    }

    #[test]
    fn exp_is_accurate() {
        for i in -40..=40 {
            let x = f64::from(i) / 10.0;
            let rel = (exp(x) - x.exp()).abs() / x.exp();
            assert!(rel < 1e-5, "{x}: {rel}");
        }
    }
}
