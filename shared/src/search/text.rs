//! Words to search terms: Unicode words, lower-cased, stop words dropped, stemmed for
//! the site's language (Snowball, `rust-stemmers`), accents folded. The feeds function
//! indexes and the site function queries through this one analyzer, so a query's terms
//! are spelled exactly as the index's.

use rust_stemmers::{Algorithm, Stemmer};

/// Words longer than this are not terms (URLs, hashes, pasted noise).
pub const MAX_TERM_CHARS: usize = 40;

/// Which Snowball stemmer the terms went through; its code is stored in the index, so
/// queries are analyzed as the index was, whatever `site.toml` says meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stemming {
    /// Lower-casing and accent folding only (a language with no stemmer here).
    None,
    English,
    Spanish,
    French,
    German,
    Italian,
    Portuguese,
    Dutch,
}

impl Stemming {
    const ALL: [Stemming; 8] = [
        Stemming::None,
        Stemming::English,
        Stemming::Spanish,
        Stemming::French,
        Stemming::German,
        Stemming::Italian,
        Stemming::Portuguese,
        Stemming::Dutch,
    ];

    /// The stemmer for a BCP 47 tag (`en-US`, `es`, `es-MX`): its primary subtag decides.
    pub fn for_language(tag: &str) -> Stemming {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        match primary.to_ascii_lowercase().as_str() {
            "en" => Stemming::English,
            "es" => Stemming::Spanish,
            "fr" => Stemming::French,
            "de" => Stemming::German,
            "it" => Stemming::Italian,
            "pt" => Stemming::Portuguese,
            "nl" => Stemming::Dutch,
            _ => Stemming::None,
        }
    }

    /// The byte the index stores.
    pub fn code(self) -> u8 {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0) as u8
    }

    pub fn from_code(code: u8) -> Option<Stemming> {
        Self::ALL.get(usize::from(code)).copied()
    }

    fn algorithm(self) -> Option<Algorithm> {
        Some(match self {
            Stemming::None => return None,
            Stemming::English => Algorithm::English,
            Stemming::Spanish => Algorithm::Spanish,
            Stemming::French => Algorithm::French,
            Stemming::German => Algorithm::German,
            Stemming::Italian => Algorithm::Italian,
            Stemming::Portuguese => Algorithm::Portuguese,
            Stemming::Dutch => Algorithm::Dutch,
        })
    }

    /// Words too common to tell posts apart: left out of the index and of queries.
    fn stop_words(self) -> &'static [&'static str] {
        match self {
            Stemming::English => ENGLISH_STOP_WORDS,
            Stemming::Spanish => SPANISH_STOP_WORDS,
            _ => &[],
        }
    }
}

/// Sorted, for a binary search.
const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "had", "has",
    "have", "he", "her", "his", "i", "if", "in", "into", "is", "it", "it's", "its", "of", "on",
    "or", "our", "she", "so", "than", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "those", "to", "was", "we", "were", "which", "will", "with", "you", "your",
];

/// Sorted, for a binary search.
const SPANISH_STOP_WORDS: &[&str] = &[
    "a", "al", "como", "con", "de", "del", "e", "el", "en", "es", "la", "las", "le", "les", "lo",
    "los", "mi", "nos", "o", "para", "pero", "por", "que", "se", "su", "sus", "tu", "u", "un",
    "una", "unas", "unos", "y", "ya",
];

/// The analyzer for one stemming: cheap to make (a function pointer).
pub struct Analyzer {
    stemming: Stemming,
    stemmer: Option<Stemmer>,
}

impl Analyzer {
    pub fn new(stemming: Stemming) -> Analyzer {
        Analyzer {
            stemming,
            stemmer: stemming.algorithm().map(Stemmer::create),
        }
    }

    pub fn for_language(tag: &str) -> Analyzer {
        Analyzer::new(Stemming::for_language(tag))
    }

    pub fn stemming(&self) -> Stemming {
        self.stemming
    }

    /// Calls `term` with each term of `text`, in order (repeats included).
    pub fn terms(&self, text: &str, mut term: impl FnMut(&str)) {
        let mut word = String::new();
        let mut stemmed = String::new();
        for_each_word(text, self.keeps_apostrophes(), &mut word, |word| {
            if let Some(t) = self.term(word, &mut stemmed) {
                term(t);
            }
        });
    }

    /// How many words `text` has, stop words included (a query's size).
    pub fn word_count(&self, text: &str) -> usize {
        let mut n = 0;
        for_each_word(text, self.keeps_apostrophes(), &mut String::new(), |_| {
            n += 1
        });
        n
    }

    /// English's stemmer removes a possessive `'s` itself; elsewhere an apostrophe
    /// separates (French `l'eau`, Italian `dell'anno`).
    fn keeps_apostrophes(&self) -> bool {
        self.stemming == Stemming::English
    }

    /// One lower-cased word as a term, in `out`; `None` for a stop word or noise.
    fn term<'a>(&self, word: &str, out: &'a mut String) -> Option<&'a str> {
        if word.chars().count() > MAX_TERM_CHARS {
            return None;
        }
        if self.stemming.stop_words().binary_search(&word).is_ok() {
            return None;
        }
        out.clear();
        match &self.stemmer {
            Some(stemmer) => fold_into(&stemmer.stem(word), out),
            None => fold_into(word, out),
        }
        (!out.is_empty()).then_some(out.as_str())
    }
}

/// Splits `text` into lower-cased words of letters and digits (with inner apostrophes
/// when `apostrophes`), each handed to `each` in `buf`.
fn for_each_word(text: &str, apostrophes: bool, buf: &mut String, mut each: impl FnMut(&str)) {
    let mut flush = |buf: &mut String| {
        let word = buf.trim_end_matches('\'');
        if !word.is_empty() {
            each(word);
        }
        buf.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            buf.extend(c.to_lowercase());
        } else if apostrophes && matches!(c, '\'' | '’') && !buf.is_empty() {
            buf.push('\'');
        } else {
            flush(buf);
        }
    }
    flush(buf);
}

/// `word` with Latin accents folded (`café` → `cafe`, `niño` → `nino`), so a query typed
/// without them finds the words written with them.
fn fold_into(word: &str, out: &mut String) {
    for c in word.chars() {
        out.push(match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            other => other,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(stemming: Stemming, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        Analyzer::new(stemming).terms(text, |t| out.push(t.to_owned()));
        out
    }

    #[test]
    fn stop_word_lists_are_sorted_for_the_binary_search() {
        for list in [ENGLISH_STOP_WORDS, SPANISH_STOP_WORDS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
    }

    #[test]
    fn english_words_are_stemmed_so_plurals_and_tenses_meet() {
        assert_eq!(
            terms(Stemming::English, "knots"),
            terms(Stemming::English, "knot")
        );
        assert_eq!(
            terms(Stemming::English, "Relaxing"),
            terms(Stemming::English, "relaxes")
        );
        assert_eq!(
            terms(Stemming::English, "What Are Muscle Knots?"),
            ["what", "muscl", "knot"]
        );
        // The possessive goes; smart quotes are apostrophes.
        assert_eq!(terms(Stemming::English, "muscle’s"), ["muscl"]);
        assert_eq!(terms(Stemming::English, "'quoted'"), ["quot"]);
    }

    #[test]
    fn spanish_is_stemmed_and_accents_need_not_be_typed() {
        assert_eq!(
            terms(Stemming::Spanish, "músculos"),
            terms(Stemming::Spanish, "musculo")
        );
        assert_eq!(
            terms(Stemming::Spanish, "Acupuntura para el dolor"),
            ["acupuntur", "dolor"]
        );
        assert_eq!(Stemming::for_language("es-MX"), Stemming::Spanish);
        assert_eq!(Stemming::for_language("en-US"), Stemming::English);
        assert_eq!(Stemming::for_language("ja"), Stemming::None);
    }

    #[test]
    fn words_split_on_punctuation_and_noise_is_dropped() {
        assert_eq!(
            terms(Stemming::None, "self-care, <script>alert(1)</script> Café"),
            ["self", "care", "script", "alert", "1", "script", "cafe"]
        );
        assert!(terms(Stemming::None, &"x".repeat(41)).is_empty());
        assert_eq!(terms(Stemming::English, "the and of"), Vec::<String>::new());
        assert_eq!(
            Analyzer::new(Stemming::English).word_count("the knots, please"),
            3
        );
    }

    #[test]
    fn the_stored_code_round_trips() {
        for s in Stemming::ALL {
            assert_eq!(Stemming::from_code(s.code()), Some(s));
        }
        assert_eq!(Stemming::from_code(200), None);
    }
}
