//! Every word a closed set lists for help and completions parses, and a word outside it is
//! refused with the list of what is accepted.

use std::str::FromStr;

use terrawatt_raster::change::{Difference, Direction, MadScale, MethodName, Normalize};
use terrawatt_raster::grid::AreaMethod;
use terrawatt_raster::index::Index;
use terrawatt_raster::mask::NodataRule;
use terrawatt_raster::read::Resampling;
use terrawatt_raster::sieve::Connectivity;
use terrawatt_raster::write::{Compression, Format};
use terrawatt_raster::zonal::Rule;
use terrawatt_raster::zones::Invalid;

fn check<T: FromStr>(names: &[&str])
where
    T::Err: std::fmt::Display,
{
    assert!(!names.is_empty());
    for n in names {
        assert!(T::from_str(n).is_ok(), "'{n}' is listed but does not parse");
    }
    let e = T::from_str("no-such-word")
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("expected"), "{e}");
    for n in names {
        assert!(e.contains(n), "'{n}' is not named in the error: {e}");
    }
}

#[test]
fn every_listed_word_parses() {
    check::<MethodName>(MethodName::NAMES);
    check::<MadScale>(MadScale::NAMES);
    check::<Normalize>(Normalize::NAMES);
    check::<Difference>(Difference::NAMES);
    check::<Direction>(Direction::NAMES);
    check::<Index>(Index::NAMES);
    check::<Resampling>(Resampling::NAMES);
    check::<AreaMethod>(AreaMethod::NAMES);
    check::<Format>(Format::NAMES);
    check::<Compression>(Compression::NAMES);
    check::<Connectivity>(Connectivity::NAMES);
    check::<NodataRule>(NodataRule::NAMES);
    check::<Invalid>(Invalid::NAMES);
    check::<Rule>(Rule::NAMES);
}
