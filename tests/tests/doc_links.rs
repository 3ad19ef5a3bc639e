//! Every relative link and image in the repository's documents resolves inside a clone:
//! README.md, every `docs/*.md` and every other README.md. A link to a missing file, a link
//! that leaves the repository, a link into a directory a clone does not have (build output,
//! installed tools) and an `#anchor` that matches no heading (GitHub's slug rules) fail the
//! test, which names the file, the line and the link. Links in code are not links.

use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

/// Directories a clone does not have (build output, installed tools, git's own files): never
/// searched for documents, and a link into one is dead for every other reader.
const NOT_IN_A_CLONE: &[&str] = &["target", "node_modules", ".tools", ".git", ".aws-sam"];

fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository root")
        .to_path_buf();
    assert!(
        root.join("Cargo.toml").is_file() && root.join("README.md").is_file(),
        "{} is not the repository root",
        root.display()
    );
    root
}

/// README.md, docs/**/*.md and every README.md outside the directories a clone does not have.
fn documents(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeSet<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if !NOT_IN_A_CLONE.contains(&name) {
                    walk(&path, root, out);
                }
            } else if name == "README.md"
                || (path.starts_with(root.join("docs")) && name.ends_with(".md"))
            {
                out.insert(path);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, &mut out);
    out.into_iter().collect()
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Reading markdown.

/// The text with fenced code blocks blanked (lines kept, so line numbers stay right).
fn without_fences(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut fence: Option<(char, usize)> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let run = |c: char| trimmed.chars().take_while(|&x| x == c).count();
        let blank = match fence {
            Some((c, n)) => {
                if run(c) >= n && trimmed.trim_start_matches(c).trim().is_empty() {
                    fence = None;
                }
                true
            }
            None => {
                for c in ['`', '~'] {
                    if run(c) >= 3 {
                        fence = Some((c, run(c)));
                    }
                }
                fence.is_some()
            }
        };
        if blank {
            out.push_str(if line.ends_with('\n') { "\n" } else { "" });
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The text with fenced blocks and inline code spans blanked: what is left can hold links.
/// A code span is a run of backticks up to the next run of the same length within the
/// paragraph; a run without a partner is literal, as in CommonMark.
fn prose(text: &str) -> String {
    let mut chars: Vec<char> = without_fences(text).chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            i += 1;
            continue;
        }
        let open = chars[i..].iter().take_while(|&&c| c == '`').count();
        let mut j = i + open;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '\n'
                && chars[j + 1..]
                    .iter()
                    .take_while(|c| **c != '\n')
                    .all(|c| c.is_whitespace())
            {
                break; // a blank line ends the paragraph
            }
            if chars[j] == '`' {
                let run = chars[j..].iter().take_while(|&&c| c == '`').count();
                if run == open {
                    close = Some(j + run);
                    break;
                }
                j += run;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                for c in &mut chars[i..end] {
                    if *c != '\n' {
                        *c = ' ';
                    }
                }
                i = end;
            }
            None => i += open,
        }
    }
    chars.into_iter().collect()
}

/// A link or image target, with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Link {
    line: usize,
    target: String,
}

/// Inline links and images (`[text](target "title")`, `![alt](target)`) and reference
/// definitions (`[name]: target`) outside code.
fn links(text: &str) -> Vec<Link> {
    let chars: Vec<char> = prose(text).chars().collect();
    let line_of = |at: usize| chars[..at].iter().filter(|c| **c == '\n').count() + 1;
    let mut out = Vec::new();
    for (open, &c) in chars.iter().enumerate() {
        if c != '[' || (open > 0 && chars[open - 1] == '\\') {
            continue;
        }
        let Some(close) = matching_bracket(&chars, open) else {
            continue;
        };
        match chars.get(close + 1) {
            Some('(') => {
                if let Some(target) = destination(&chars[close + 2..]) {
                    out.push(Link {
                        line: line_of(open),
                        target,
                    });
                }
            }
            Some(':') if starts_a_line(&chars, open) => {
                let rest: String = chars[close + 2..]
                    .iter()
                    .take_while(|c| **c != '\n')
                    .collect();
                if let Some(target) = rest.split_whitespace().next() {
                    let target = target.trim_start_matches('<').trim_end_matches('>');
                    out.push(Link {
                        line: line_of(open),
                        target: target.to_string(),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// The `]` that closes the `[` at `open`, within the paragraph.
fn matching_bracket(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            '\n' if chars.get(i + 1) == Some(&'\n') => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether the `[` at `at` is the first thing on its line (after at most three spaces).
fn starts_a_line(chars: &[char], at: usize) -> bool {
    let start = chars[..at]
        .iter()
        .rposition(|c| *c == '\n')
        .map_or(0, |p| p + 1);
    at - start <= 3 && chars[start..at].iter().all(|c| *c == ' ')
}

/// The destination after `(`: `<...>`, or text up to whitespace or the unbalanced `)`.
fn destination(rest: &[char]) -> Option<String> {
    let mut i = rest.iter().take_while(|c| c.is_whitespace()).count();
    if rest.get(i) == Some(&'<') {
        let end = rest[i + 1..].iter().position(|c| *c == '>' || *c == '\n')?;
        return Some(rest[i + 1..i + 1 + end].iter().collect());
    }
    let mut depth = 0usize;
    let mut out = String::new();
    while let Some(&c) = rest.get(i) {
        match c {
            '\\' if rest.get(i + 1).is_some_and(|n| n.is_ascii_punctuation()) => {
                out.push(rest[i + 1]);
                i += 2;
                continue;
            }
            '(' => depth += 1,
            ')' if depth == 0 => break,
            ')' => depth -= 1,
            c if c.is_whitespace() => break,
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    Some(out)
}

/// GitHub's anchor for a heading: the rendered text lowercased, spaces to `-`, every other
/// character that is not a letter, a digit, `-` or `_` dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// A heading's text as rendered: links and images by their text, no backticks or tags.
fn rendered(heading: &str) -> String {
    let chars: Vec<char> = heading.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '`' => {}
            '!' if chars.get(i + 1) == Some(&'[') => {}
            '[' => {
                if let Some(close) = matching_bracket(&chars, i) {
                    out.extend(&chars[i + 1..close]);
                    i = close + 1;
                    if chars.get(i) == Some(&'(') {
                        let skip = chars[i..].iter().position(|c| *c == ')').unwrap_or(0);
                        i += skip + 1;
                    }
                    continue;
                }
                out.push('[');
            }
            '<' => match chars[i..].iter().position(|c| *c == '>') {
                Some(end) => i += end,
                None => out.push('<'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// The text of an ATX heading (`## Text`, optionally closed by `#`s), if `line` is one.
fn atx_heading(line: &str) -> Option<String> {
    let trimmed = line.trim_start();
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let hashes = trimmed.chars().take_while(|c| *c == '#').count();
    let rest = &trimmed[hashes..];
    if !(1..=6).contains(&hashes) || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let rest = rest.trim();
    let closed = rest.trim_end_matches('#');
    Some(if closed.is_empty() || closed.ends_with([' ', '\t']) {
        closed.trim_end().to_string()
    } else {
        rest.to_string()
    })
}

/// The text of a setext heading whose underline (`===` or `---`) is `line`, `above` being
/// the line before it.
fn setext_heading(above: &str, line: &str) -> Option<String> {
    let under = line.trim();
    let above = above.trim();
    let underline = (!under.is_empty() && under.chars().all(|c| c == '='))
        || (under.len() >= 3 && under.chars().all(|c| c == '-'));
    let paragraph = !above.is_empty() && !above.starts_with(['#', '|', '-', '*', '>', '+']);
    (underline && paragraph).then(|| above.to_string())
}

/// Every anchor a document defines: its headings' slugs (a repeated one gets `-1`, `-2`, ...)
/// and explicit `id="..."` / `name="..."` attributes.
fn anchors(text: &str) -> BTreeSet<String> {
    let text = without_fences(text);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = BTreeSet::new();
    let mut above = "";
    for line in text.lines() {
        if let Some(heading) = atx_heading(line).or_else(|| setext_heading(above, line)) {
            let base = slug(&rendered(&heading));
            let count = seen.entry(base.clone()).or_insert(0);
            out.insert(if *count == 0 {
                base.clone()
            } else {
                format!("{base}-{count}")
            });
            *count += 1;
        }
        for attr in ["id=\"", "name=\""] {
            let mut rest = line;
            while let Some(at) = rest.find(attr) {
                rest = &rest[at + attr.len()..];
                if let Some(end) = rest.find('"') {
                    out.insert(rest[..end].to_string());
                }
            }
        }
        above = line;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Checking.

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `scheme:` (http, https, mailto, ...) or `//host`: not a file of this repository.
fn is_external(target: &str) -> bool {
    let scheme_len = target
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "+.-".contains(*c))
        .count();
    target.starts_with("//")
        || (scheme_len > 0
            && target.starts_with(|c: char| c.is_ascii_alphabetic())
            && target[scheme_len..].starts_with(':'))
}

/// Checks the links of one document (`file`, absolute) whose text is `text`. Anchors of other
/// documents are read from disk once, through `cache`. Returns one line per problem.
fn check(
    root: &Path,
    file: &Path,
    text: &str,
    cache: &mut HashMap<PathBuf, BTreeSet<String>>,
) -> Vec<String> {
    let name = relative(root, file);
    let mut problems = Vec::new();
    let own = anchors(text);
    for Link { line, target } in links(text) {
        let mut problem = |why: String| problems.push(format!("{name}:{line}: ({target}): {why}"));
        if target.is_empty() {
            problem("empty link target".into());
            continue;
        }
        if is_external(&target) {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (p, Some(percent_decode(a))),
            None => (target.as_str(), None),
        };
        let path = path.split('?').next().unwrap_or("");
        if path.is_empty() {
            if let Some(anchor) = anchor
                && !own.contains(&anchor)
            {
                problem(format!("no heading here has the anchor #{anchor}"));
            }
            continue;
        }
        let path = percent_decode(path);
        let base = if path.starts_with('/') {
            root.to_path_buf()
        } else {
            file.parent()
                .expect("a document has a directory")
                .to_path_buf()
        };
        // Resolved by hand, not canonicalize(): `..` must not climb out of the repository even
        // through a directory that exists outside it.
        let mut resolved = base
            .strip_prefix(root)
            .expect("documents are inside the repository")
            .to_path_buf();
        let mut leaves = false;
        for part in Path::new(path.trim_start_matches('/')).components() {
            match part {
                Component::ParentDir => leaves |= !resolved.pop(),
                Component::Normal(p) => resolved.push(p),
                _ => {}
            }
        }
        if leaves {
            problem("leaves the repository".into());
            continue;
        }
        if let Some(dir) = resolved
            .components()
            .filter_map(|c| c.as_os_str().to_str())
            .find(|c| NOT_IN_A_CLONE.contains(c))
        {
            problem(format!("points into {dir}/, which a clone does not have"));
            continue;
        }
        let full = root.join(&resolved);
        if !full.exists() {
            problem(format!("{} does not exist", resolved.display()));
            continue;
        }
        if let Some(anchor) = anchor
            && full.extension().is_some_and(|e| e == "md")
        {
            let defined = cache
                .entry(full.clone())
                .or_insert_with(|| anchors(&std::fs::read_to_string(&full).unwrap_or_default()));
            if !defined.contains(&anchor) {
                problem(format!(
                    "{} has no heading with the anchor #{anchor}",
                    resolved.display()
                ));
            }
        }
    }
    problems
}

#[test]
fn every_relative_link_resolves_inside_the_repository() {
    let root = repo_root();
    let docs = documents(&root);
    let names: Vec<String> = docs.iter().map(|d| relative(&root, d)).collect();
    assert!(
        names.contains(&"README.md".to_string()) && names.iter().any(|n| n.starts_with("docs/")),
        "README.md and docs/*.md are checked: {names:?}"
    );
    let mut cache = HashMap::new();
    let mut problems = Vec::new();
    let mut checked = 0;
    for doc in &docs {
        let text =
            std::fs::read_to_string(doc).unwrap_or_else(|e| panic!("{}: {e}", doc.display()));
        checked += links(&text).len();
        problems.extend(check(&root, doc, &text, &mut cache));
    }
    assert!(checked > 20, "only {checked} links found in {names:?}");
    assert!(
        problems.is_empty(),
        "{} dead link(s) in {} documents:\n{}",
        problems.len(),
        docs.len(),
        problems.join("\n")
    );
}

#[test]
fn slugs_follow_githubs_rules() {
    let text = "# Title\n\
                ## Reconciliation (`reconcile` function)\n\
                ## What the gateway's documents do not promise\n\
                ### `POST /v1/withdrawals`\n\
                ## How it is applied (`shared/service/src/postbacks/`)\n\
                ## Signature (P): postbacks ##\n\
                ## Title\n\
                ## [A link](https://example.com) and `code`\n\
                Setext heading\n\
                ---\n\
                ```\n\
                # not a heading\n\
                ```\n\
                <a name=\"explicit\"></a>\n";
    let want: BTreeSet<String> = [
        "title",
        "reconciliation-reconcile-function",
        "what-the-gateways-documents-do-not-promise",
        "post-v1withdrawals",
        "how-it-is-applied-sharedservicesrcpostbacks",
        "signature-p-postbacks",
        "title-1",
        "a-link-and-code",
        "setext-heading",
        "explicit",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(anchors(text), want);
}

#[test]
fn the_checker_reports_every_kind_of_dead_link_and_ignores_code() {
    let root = repo_root();
    // A document as if it were docs/example.md (never written to disk).
    let file = root.join("docs").join("example.md");
    let text = "# Example\n\
                \n\
                [ok](../README.md) [ok with anchor](../README.md#quickstart) ![img](../template.yaml)\n\
                [here](#example) [web](https://example.com/x.md) [mail](mailto:a@example.com)\n\
                [missing](missing.md) [outside](../../elsewhere/PAYKASSMA.md)\n\
                [bad anchor](#nowhere) [bad anchor there](../README.md#nowhere)\n\
                [build output](../target/bench-report.md)\n\
                [a link\n\
                over two lines](nothing-here.md)\n\
                `[in code](nope.md)` and ``[also `code`](nope.md)``\n\
                \n\
                ```md\n\
                [in a fence](nope.md)\n\
                ```\n\
                \n\
                [ref]: ../docs/missing-too.md\n";
    let problems = check(&root, &file, text, &mut HashMap::new());
    let want = [
        "docs/example.md:5: (missing.md): docs/missing.md does not exist",
        "docs/example.md:5: (../../elsewhere/PAYKASSMA.md): leaves the repository",
        "docs/example.md:6: (#nowhere): no heading here has the anchor #nowhere",
        "docs/example.md:6: (../README.md#nowhere): README.md has no heading with the anchor #nowhere",
        "docs/example.md:7: (../target/bench-report.md): points into target/, which a clone does not have",
        "docs/example.md:8: (nothing-here.md): docs/nothing-here.md does not exist",
        "docs/example.md:16: (../docs/missing-too.md): docs/missing-too.md does not exist",
    ];
    assert_eq!(problems, want, "{problems:#?}");
}
