//! Search benchmarks: an index of 1,000 and of 10,000 synthetic posts (about 800 words
//! each, a Zipf-distributed vocabulary of 30,000 words): its bytes, the build (the
//! feeds function's work), the load (`SearchIndex::parse`, read in place: the site
//! function's once per new index) and queries of one word, two words and no match.
//! `cargo bench -p lambdapress --no-default-features --bench search`; figures go in
//! BENCHMARKS.md.

use lambdapress::search::{
    Analyzer, DocKind, Document, DocumentText, IndexBuilder, SearchIndex, SearchQuery, Stemming,
};
use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "support/harness.rs"]
mod harness;
use harness::*;

/// xorshift64*: a fixed sequence, so every run indexes the same posts.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const SYLLABLES: &[&str] = &[
    "ba", "ca", "da", "fe", "ge", "hi", "jo", "ku", "la", "me", "ni", "po", "qua", "re", "si",
    "tu", "ve", "wo", "xa", "yo", "za", "bri", "cla", "dro", "fle", "gra", "pli", "sto", "tra",
    "ven", "mor", "sal", "tin", "gor", "lum", "pex", "rud", "sha", "thi", "quo", "nel", "bas",
    "cor", "dul", "fim", "hap", "jun", "kel", "lop", "mis",
];

/// Common English words first (the top of the distribution, stop words among them),
/// then made-up words of 2 to 4 syllables.
fn vocabulary(rng: &mut Rng, size: usize) -> Vec<String> {
    let common = "the of and to in a is that for it as with was on be by at this are from \
                  or have an they which one you were all we her she there would their will \
                  muscle pain sleep back neck shoulder tension treatment acupuncture visit \
                  clinic body stress health knot massage point needle breathing posture \
                  stretch water mattress pillow desk chair heat cold relief session patient";
    let mut words: Vec<String> = common.split_whitespace().map(str::to_owned).collect();
    let mut seen: std::collections::HashSet<String> = words.iter().cloned().collect();
    while words.len() < size {
        let n = 2 + rng.below(3);
        let word: String = (0..n)
            .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
            .collect();
        if seen.insert(word.clone()) {
            words.push(word);
        }
    }
    words
}

/// Zipf (s = 1) sampling over ranks by the cumulative weights.
struct Zipf(Vec<f64>);

impl Zipf {
    fn new(n: usize) -> Zipf {
        let mut total = 0.0;
        Zipf(
            (1..=n)
                .map(|k| {
                    total += 1.0 / k as f64;
                    total
                })
                .collect(),
        )
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let target = rng.unit() * self.0[self.0.len() - 1];
        self.0
            .partition_point(|&c| c < target)
            .min(self.0.len() - 1)
    }
}

fn sentence(rng: &mut Rng, words: &[String], zipf: &Zipf, n: usize) -> String {
    let mut out = String::with_capacity(n * 7);
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&words[zipf.sample(rng)]);
    }
    out
}

/// `n` posts of about 800 words: a title, a summary, tags, four headings, a body.
fn posts(n: usize) -> (Vec<(Document, DocumentText)>, Vec<String>) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let words = vocabulary(&mut rng, 30_000);
    let zipf = Zipf::new(words.len());
    let posts = (0..n)
        .map(|i| {
            let title = sentence(&mut rng, &words, &zipf, 6);
            let summary = sentence(&mut rng, &words, &zipf, 25);
            let body = (0..8)
                .map(|_| sentence(&mut rng, &words, &zipf, 95))
                .collect::<Vec<_>>()
                .join(".\n\n");
            let doc = Document {
                kind: DocKind::Post,
                slug: format!("post-{i:05}"),
                etag: format!("\"{:032x}\"", rng.next()),
                title: title.clone(),
                summary: summary.clone(),
                date: time::OffsetDateTime::from_unix_timestamp(1_600_000_000 + i as i64 * 86_400)
                    .ok(),
            };
            let text = DocumentText {
                title,
                summary,
                tags: (0..3).map(|_| words[40 + rng.below(40)].clone()).collect(),
                headings: (0..4)
                    .map(|_| sentence(&mut rng, &words, &zipf, 4))
                    .collect(),
                body,
            };
            (doc, text)
        })
        .collect();
    (posts, words)
}

fn build(posts: &[(Document, DocumentText)]) -> Vec<u8> {
    let mut builder = IndexBuilder::new(Stemming::English);
    for (doc, text) in posts {
        builder.add(doc, text);
    }
    builder.finish()
}

fn main() {
    // `cargo test --all-targets` runs this too (unoptimized, without `--bench`): then
    // one small index, once, as a check that the bench still runs, not as figures.
    let full = std::env::args().any(|a| a == "--bench");
    let budget = Duration::from_millis(if full { 2_000 } else { 20 });
    let analyzer = Analyzer::new(Stemming::English);
    let sizes: &[usize] = if full { &[1_000, 10_000] } else { &[200] };
    for &n in sizes {
        let (posts, words) = posts(n);
        let word_total: usize = posts
            .iter()
            .map(|(_, t)| analyzer.word_count(&t.body) + analyzer.word_count(&t.title))
            .sum();
        println!(
            "--- {n} posts, {:.0} words a post on average",
            word_total as f64 / n as f64
        );
        let bytes = build(&posts);
        let index = SearchIndex::parse(bytes.clone()).unwrap();
        let sizes = index.sizes();
        println!(
            "index: {} bytes ({:.1} MiB): documents {} B, dictionary {} B ({} terms), postings {} B",
            bytes.len(),
            bytes.len() as f64 / (1 << 20) as f64,
            sizes.documents,
            sizes.dictionary,
            index.term_count(),
            sizes.postings
        );
        measure_long(
            &format!("build ({n} posts: analyze + encode)"),
            if !full {
                1
            } else if n > 1_000 {
                3
            } else {
                5
            },
            || {
                black_box(build(black_box(&posts)));
            },
        );
        // The load is `parse` of the bytes read from the store (owned): the copy made
        // for each run is timed apart and taken off.
        let copies = if n > 1_000 { 5 } else { 20 };
        let t = Instant::now();
        let mut owned: Vec<Vec<u8>> = (0..copies).map(|_| bytes.clone()).collect();
        let copy = t.elapsed().as_secs_f64() / copies as f64;
        let t = Instant::now();
        for b in owned.drain(..) {
            black_box(SearchIndex::parse(black_box(b)).unwrap());
        }
        let load = t.elapsed().as_secs_f64() / copies as f64;
        println!(
            "{:<56} mean   {:>9.2} ms   (a copy of the bytes: {:.2} ms, not included; {copies} runs)",
            format!("load: SearchIndex::parse ({n} posts)"),
            load * 1e3,
            copy * 1e3
        );
        // Words by their rank in the distribution: near the top, and in the tail.
        let (common, mid, rare) = (&words[60], &words[300], &words[5_000]);
        for (what, q) in [
            ("1 word, rank 60", common.clone()),
            ("1 word, rank 5000", rare.clone()),
            ("2 words, ranks 60 + 300", format!("{common} {mid}")),
            ("no match", "zeppelinxq".to_owned()),
            (
                "2 words, one matching nothing",
                format!("{common} zeppelinxq"),
            ),
        ] {
            let query = SearchQuery::parse(&q, &analyzer).unwrap();
            let hits = index.search(&query).len();
            measure(
                &format!("query {what} ({n} posts, {hits} hits)"),
                budget,
                || {
                    // What the results page does: analyze, rank, read the first page.
                    let query = SearchQuery::parse(black_box(&q), &analyzer).unwrap();
                    let hits = index.search(&query);
                    for hit in hits.iter().take(10) {
                        black_box(index.doc(hit.doc));
                    }
                },
            );
        }
    }
}
