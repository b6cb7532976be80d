//! French geography embedded at compile time: the 101 departements that have an MDPH and their communes
//! with postcodes and populations (Licence Ouverte / Etalab, see `data/README.md`).

use std::sync::OnceLock;

const DEPARTEMENTS_CSV: &str = include_str!("../data/departements.csv");
const COMMUNES_CSV: &str = include_str!("../data/communes.csv");

/// A departement, the tenant unit: one MDPH each.
#[derive(Debug, Clone)]
pub struct Departement {
    /// INSEE code: `01`..`95`, `2A`, `2B`, `971`..`976`.
    pub code: &'static str,
    /// Name, e.g. `Val-d'Oise`.
    pub name: &'static str,
    /// Region code.
    pub region_code: &'static str,
    /// Region name.
    pub region_name: &'static str,
    /// Sum of the legal populations of its communes.
    pub population: u64,
    /// Index range of its communes in [`Geo::communes`].
    pub communes: std::ops::Range<usize>,
}

/// A commune with the postcodes the generator may use for it.
#[derive(Debug, Clone)]
pub struct Commune {
    /// INSEE code (5 characters).
    pub code: &'static str,
    /// Name.
    pub name: &'static str,
    /// Index of its departement in [`Geo::departements`].
    pub departement: usize,
    /// All its postcodes, as listed by La Poste.
    pub postcodes: Vec<&'static str>,
    /// The postcodes whose prefix agrees with the departement (the ones drawn).
    pub usable_postcodes: Vec<&'static str>,
    /// Legal population.
    pub population: u32,
}

/// The embedded geography.
#[derive(Debug)]
pub struct Geo {
    /// The 101 departements, in code order (`01`..`19`, `2A`, `2B`, `21`..`95`, `971`..`976`).
    pub departements: Vec<Departement>,
    /// Communes grouped by departement.
    pub communes: Vec<Commune>,
    /// Per departement, the cumulative populations of its drawable communes (for weighted picks).
    cumulative: Vec<Vec<(u64, usize)>>,
    by_code: std::collections::HashMap<&'static str, usize>,
}

/// The postcode prefix that agrees with a departement code: `20` for Corsica, the 3-digit code overseas,
/// otherwise the 2-digit code.
pub fn postcode_prefix(departement: &str) -> &str {
    match departement {
        "2A" | "2B" => "20",
        d => d,
    }
}

impl Geo {
    fn parse() -> Geo {
        let mut departements = Vec::new();
        for line in DEPARTEMENTS_CSV.lines().skip(1).filter(|l| !l.is_empty()) {
            let f: Vec<&'static str> = line.split(',').collect();
            assert!(
                f.len() == 5,
                "embedded departements.csv: 5 fields expected in {line:?}"
            );
            departements.push(Departement {
                code: f[0],
                name: f[1],
                region_code: f[2],
                region_name: f[3],
                population: 0,
                communes: 0..0,
            });
        }
        let mut communes: Vec<Commune> = Vec::new();
        for line in COMMUNES_CSV.lines().skip(1).filter(|l| !l.is_empty()) {
            let f: Vec<&'static str> = line.split(',').collect();
            assert!(
                f.len() == 5,
                "embedded communes.csv: 5 fields expected in {line:?}"
            );
            let departement = departements
                .iter()
                .position(|d| d.code == f[2])
                .expect("embedded communes belong to embedded departements");
            let postcodes: Vec<&'static str> = f[3].split('|').collect();
            let prefix = postcode_prefix(f[2]);
            let usable_postcodes = postcodes
                .iter()
                .copied()
                .filter(|p| p.starts_with(prefix))
                .collect();
            communes.push(Commune {
                code: f[0],
                name: f[1],
                departement,
                postcodes,
                usable_postcodes,
                population: f[4].parse().expect("embedded populations are integers"),
            });
        }
        communes.sort_by_key(|c| c.departement);
        let mut cumulative = vec![Vec::new(); departements.len()];
        let mut start = 0;
        while start < communes.len() {
            let d = communes[start].departement;
            let end = start
                + communes[start..]
                    .iter()
                    .take_while(|c| c.departement == d)
                    .count();
            departements[d].communes = start..end;
            departements[d].population = communes[start..end]
                .iter()
                .map(|c| u64::from(c.population))
                .sum();
            let mut acc = 0u64;
            for (i, c) in communes[start..end].iter().enumerate() {
                if !c.usable_postcodes.is_empty() {
                    acc += u64::from(c.population);
                    cumulative[d].push((acc, start + i));
                }
            }
            start = end;
        }
        let by_code = communes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code, i))
            .collect();
        Geo {
            departements,
            communes,
            cumulative,
            by_code,
        }
    }

    /// The commune with this INSEE code.
    pub fn commune_by_code(&self, code: &str) -> Option<&Commune> {
        self.by_code.get(code).map(|&i| &self.communes[i])
    }

    /// Index of the departement with this code.
    pub fn departement_index(&self, code: &str) -> Option<usize> {
        self.departements.iter().position(|d| d.code == code)
    }

    /// The commune of departement `d` at population rank `r` in `[0, drawable population)`: a commune drawn
    /// with probability proportional to its population when `r` is uniform.
    pub fn commune_at(&self, d: usize, r: u64) -> &Commune {
        &self.communes[self.commune_index_at(d, r)]
    }

    /// Index in [`Geo::communes`] of [`Geo::commune_at`].
    pub fn commune_index_at(&self, d: usize, r: u64) -> usize {
        let cum = &self.cumulative[d];
        let i = cum.partition_point(|&(acc, _)| acc <= r).min(cum.len() - 1);
        cum[i].1
    }

    /// Total population of the communes of departement `d` that addresses are drawn from.
    pub fn drawable_population(&self, d: usize) -> u64 {
        self.cumulative[d].last().map_or(0, |&(acc, _)| acc)
    }
}

/// The embedded geography, parsed once.
pub fn geo() -> &'static Geo {
    static GEO: OnceLock<Geo> = OnceLock::new();
    GEO.get_or_init(Geo::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_geography_is_complete_and_safe_to_embed() {
        let g = geo();
        assert_eq!(g.departements.len(), 101);
        for (i, d) in g.departements.iter().enumerate() {
            assert!(d.population > 0 && !d.communes.is_empty(), "{}", d.code);
            assert!(g.drawable_population(i) > 0, "{}", d.code);
            assert!(!d.name.contains(['"', '\\']));
        }
        assert!(g.departement_index("2A").is_some() && g.departement_index("20").is_none());
        for c in &g.communes {
            assert!(!c.name.contains(['"', '\\', ',']) && !c.name.chars().any(char::is_control));
        }
    }

    #[test]
    fn postcodes_agree_with_commune_and_departement() {
        let g = geo();
        for d in 0..g.departements.len() {
            let pop = g.drawable_population(d);
            for k in 0..50 {
                let c = g.commune_at(d, pop / 50 * k);
                assert_eq!(c.departement, d);
                let prefix = postcode_prefix(g.departements[d].code);
                assert!(
                    c.usable_postcodes
                        .iter()
                        .all(|p| p.starts_with(prefix) && p.len() == 5)
                );
            }
        }
        let paris = g.departement_index("75").unwrap();
        assert_eq!(g.commune_at(paris, 0).name, "Paris");
    }
}
