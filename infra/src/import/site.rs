//! The site around the posts: the export's primary menu (else its first) as `[[menu]]`
//! entries pointing at the new addresses, and `title`, `description`, `language` and
//! `base_url` from its `<channel>`, written into `site.toml` only where it has none.

use super::links::Links;
use super::old_urls::OldUrls;
use super::post::toml_string;
use super::wxr::{Channel, WxrItem};
use lambdapress::domain::{MenuEntry, SiteSettings, Tag};
use std::collections::HashMap;
use std::fmt::Write as _;

/// One `nav_menu_item` of the export.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub menu: String,
    pub order: i64,
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub object: String,
    pub object_id: String,
    pub url: String,
    pub parent: String,
}

impl NavItem {
    pub fn from_item(item: &WxrItem) -> Option<NavItem> {
        if item.post_type != "nav_menu_item" || item.status != "publish" {
            return None;
        }
        let menu = item
            .categories
            .iter()
            .find(|c| c.domain == "nav_menu")?
            .nicename
            .trim()
            .to_owned();
        Some(NavItem {
            menu,
            order: item.menu_order.trim().parse().unwrap_or(0),
            id: item.post_id.trim().parse().unwrap_or(0),
            title: super::post::decode_entities(item.title.trim()),
            kind: item.menu_meta("type").to_owned(),
            object: item.menu_meta("object").to_owned(),
            object_id: item.menu_meta("object_id").to_owned(),
            url: item.menu_meta("url").to_owned(),
            parent: item.menu_meta("menu_item_parent").to_owned(),
        })
    }
}

/// The menu the import proposes, and what it had to leave out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MenuProposal {
    /// The WordPress menu it comes from.
    pub from: String,
    pub entries: Vec<MenuEntry>,
    pub notes: Vec<String>,
}

/// Picks the menu (one named like `primary`, `main`, `header` or `top`, else the first
/// the export lists) and maps its top-level items, in order, to new addresses.
pub fn propose_menu(
    items: &[NavItem],
    channel: &Channel,
    urls: &OldUrls,
    titles: &HashMap<String, String>,
    links: &Links,
) -> Option<MenuProposal> {
    let mut menus: Vec<(String, String)> = channel
        .terms
        .iter()
        .filter(|t| t.taxonomy == "nav_menu")
        .map(|t| (t.slug.clone(), t.name.clone()))
        .collect();
    for item in items {
        if !menus.iter().any(|(slug, _)| *slug == item.menu) {
            menus.push((item.menu.clone(), item.menu.clone()));
        }
    }
    let primary = ["primary", "main", "header", "top"];
    let chosen = menus
        .iter()
        .find(|(slug, name)| {
            let (slug, name) = (slug.to_ascii_lowercase(), name.to_ascii_lowercase());
            primary.iter().any(|p| slug.contains(p) || name.contains(p))
                && items.iter().any(|i| i.menu == *slug)
        })
        .or_else(|| {
            menus
                .iter()
                .find(|(slug, _)| items.iter().any(|i| i.menu == *slug))
        })?
        .clone();
    let mut chosen_items: Vec<&NavItem> = items.iter().filter(|i| i.menu == chosen.0).collect();
    chosen_items.sort_by_key(|i| (i.order, i.id));
    let mut proposal = MenuProposal {
        from: chosen.1.clone(),
        ..MenuProposal::default()
    };
    let terms: HashMap<&str, &super::wxr::Term> =
        channel.terms.iter().map(|t| (t.id.as_str(), t)).collect();
    let by_id: HashMap<i64, &NavItem> = chosen_items.iter().map(|i| (i.id, *i)).collect();
    let mut flattened = 0;
    // Top-level entries by item id, in order; a child joins its top-level ancestor.
    let mut places: HashMap<i64, usize> = HashMap::new();
    // Top-level entries first, so a child listed before its parent still finds it.
    let (tops, nested): (Vec<&NavItem>, Vec<&NavItem>) = chosen_items
        .iter()
        .copied()
        .partition(|i| top_ancestor(i, &by_id).1 == 0);
    for item in tops.into_iter().chain(nested) {
        let (top, depth) = top_ancestor(item, &by_id);
        let Some(entry) = menu_entry(item, urls, titles, links, &terms, &mut proposal.notes) else {
            continue;
        };
        if depth == 0 {
            if proposal.entries.len() == MenuEntry::MAX_ENTRIES {
                proposal.notes.push(format!(
                    "menu entry `{}`: entries after the 12th left out",
                    entry.label
                ));
                continue;
            }
            places.insert(item.id, proposal.entries.len());
            proposal.entries.push(entry);
            continue;
        }
        let Some(parent) = places.get(&top).map(|&n| &mut proposal.entries[n]) else {
            proposal.notes.push(format!(
                "menu entry `{}`: its parent entry is not imported; left out",
                entry.label
            ));
            continue;
        };
        if parent.children.len() == MenuEntry::MAX_ENTRIES {
            proposal.notes.push(format!(
                "menu entry `{}`: sub-entries after the 12th left out",
                parent.label
            ));
            continue;
        }
        if depth > 1 {
            flattened += 1;
        }
        parent.children.push(entry);
    }
    if flattened > 0 {
        proposal.notes.push(format!(
            "menu `{}`: {flattened} entries nested deeper than one sub-menu moved up into their top entry's sub-menu",
            chosen.1
        ));
    }
    Some(proposal)
}

/// The top-level item an item hangs under (itself when it is one), and how deep it is.
/// A parent that is not in the menu, or a loop, ends the walk.
fn top_ancestor(item: &NavItem, by_id: &HashMap<i64, &NavItem>) -> (i64, usize) {
    let (mut at, mut depth) = (item, 0);
    while let Some(parent) = at.parent.trim().parse::<i64>().ok().filter(|p| *p != 0) {
        match by_id.get(&parent) {
            Some(up) if depth < by_id.len() => {
                at = up;
                depth += 1;
            }
            _ => break,
        }
    }
    (at.id, depth)
}

/// One menu item mapped to its new address, or `None` (with a note) when it cannot be.
fn menu_entry(
    item: &NavItem,
    urls: &OldUrls,
    titles: &HashMap<String, String>,
    links: &Links,
    terms: &HashMap<&str, &super::wxr::Term>,
    notes: &mut Vec<String>,
) -> Option<MenuEntry> {
    let mut entry = MenuEntry {
        label: String::new(),
        page: None,
        tag: None,
        url: None,
        children: Vec::new(),
    };
    let mut fallback_label = String::new();
    match (item.kind.as_str(), item.object.as_str()) {
        ("post_type", _) => match urls.path_of(&item.object_id) {
            Some(path) if path.starts_with("/posts/") => entry.url = Some(path.to_owned()),
            Some(path) => entry.page = Some(path.trim_start_matches('/').to_owned()),
            None => {
                notes.push(format!(
                    "menu entry `{}`: {} {} is not imported; left out",
                    item.title, item.object, item.object_id
                ));
                return None;
            }
        },
        ("taxonomy", "category" | "post_tag") => {
            let Some(term) = terms.get(item.object_id.as_str()) else {
                notes.push(format!(
                    "menu entry `{}`: term {} is not in the export; left out",
                    item.title, item.object_id
                ));
                return None;
            };
            entry.tag = Some(Tag::parse(&term.name).ok()?.slug.to_string());
            fallback_label = term.name.clone();
        }
        ("custom", _) => {
            let url = links.new_url(&item.url).unwrap_or_else(|| item.url.clone());
            if url == "/" {
                entry.page = Some(String::new());
            } else {
                entry.url = Some(url);
            }
        }
        (kind, object) => {
            notes.push(format!(
                "menu entry `{}`: a link to a {kind} `{object}` cannot be mapped; left out",
                item.title
            ));
            return None;
        }
    }
    if fallback_label.is_empty() {
        fallback_label = titles.get(&item.object_id).cloned().unwrap_or_default();
    }
    let label = if item.title.trim().is_empty() {
        fallback_label
    } else {
        item.title.trim().to_owned()
    };
    entry.label = label.chars().take(40).collect();
    (!entry.label.trim().is_empty()).then_some(entry)
}

/// `[[menu]]` tables (and their `[[menu.children]]`) as `site.toml` spells them.
pub fn menu_toml(entries: &[MenuEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        entry_toml(&mut out, "menu", e);
        for child in &e.children {
            entry_toml(&mut out, "menu.children", child);
        }
    }
    out
}

fn entry_toml(out: &mut String, table: &str, e: &MenuEntry) {
    let _ = writeln!(out, "\n[[{table}]]\nlabel = {}", toml_string(&e.label));
    for (name, value) in [("page", &e.page), ("tag", &e.tag), ("url", &e.url)] {
        if let Some(value) = value {
            let _ = writeln!(out, "{name} = {}", toml_string(value));
        }
    }
}

/// What the import does to `site.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteChange {
    /// There was none: this file is written.
    Create(String),
    /// The file has no menu: these `[[menu]]` tables are appended.
    AppendMenu(String),
    /// Nothing written; the owner may add these lines.
    Propose(String),
    Nothing,
}

/// `site.toml` from the channel (and the menu) when there is none; when there is one,
/// its menu if it has none, and the channel's settings it lacks as a proposal.
pub fn site_change(
    existing: Option<&str>,
    channel: &Channel,
    menu: Option<&MenuProposal>,
) -> SiteChange {
    let base_url = [
        &channel.base_blog_url,
        &channel.base_site_url,
        &channel.link,
    ]
    .into_iter()
    .map(|u| u.trim().trim_end_matches('/'))
    .find(|u| u.starts_with("https://") || u.starts_with("http://"))
    .unwrap_or("")
    .to_owned();
    let menu_text = menu.map(|m| menu_toml(&m.entries)).unwrap_or_default();
    let Some(existing) = existing else {
        let mut out = String::from(
            "# Written by `lambdapress import wordpress` from the export; check the owner\n\
             # and address (shown on every page) before going live.\n",
        );
        let title = if channel.title.trim().is_empty() {
            "My site"
        } else {
            channel.title.trim()
        };
        let _ = writeln!(out, "title = {}", toml_string(title));
        let _ = writeln!(out, "description = {}", toml_string(&channel.description));
        let _ = writeln!(
            out,
            "base_url = {}",
            toml_string(if base_url.is_empty() {
                "http://127.0.0.1:3000"
            } else {
                &base_url
            })
        );
        let language = channel.language.trim();
        if lambdapress::i18n::Language::of_tag(language).is_some() {
            let _ = writeln!(out, "language = {}", toml_string(language));
        } else if !language.is_empty() {
            // The site speaks English or Spanish: another language is left to the owner.
            let _ = writeln!(
                out,
                "# WordPress's language was {}; the site speaks \"en\" or \"es\"",
                toml_string(language)
            );
        }
        let _ = writeln!(
            out,
            "\n[owner]\nname = {}\n\n[address]\nstreet = \"(street)\"\nlocality = \"(town)\"",
            toml_string(title)
        );
        out.push_str(&menu_text);
        return match SiteSettings::parse(&out) {
            Ok(_) => SiteChange::Create(out),
            Err(e) => SiteChange::Propose(format!("# not written ({e}):\n{out}")),
        };
    };
    let table: toml::Table = existing.parse().unwrap_or_default();
    let has_menu = table.get("menu").is_some();
    if !has_menu && !menu_text.is_empty() {
        let appended = format!("{}\n{}", existing.trim_end(), menu_text);
        if SiteSettings::parse(&appended).is_ok() || SiteSettings::parse(existing).is_err() {
            return SiteChange::AppendMenu(menu_text);
        }
    }
    let mut proposal = String::new();
    for (key, value) in [
        ("title", channel.title.trim()),
        ("description", channel.description.trim()),
        ("language", channel.language.trim()),
        ("base_url", base_url.as_str()),
    ] {
        if !table.contains_key(key) && !value.is_empty() {
            let _ = writeln!(proposal, "{key} = {}", toml_string(value));
        }
    }
    if has_menu && !menu_text.is_empty() {
        let current = SiteSettings::parse(existing)
            .map(|s| s.menu)
            .unwrap_or_default();
        if menu.is_some_and(|m| m.entries != current) {
            proposal.push_str("# site.toml has a menu; the export's would be:");
            proposal.push_str(&menu_text);
        }
    }
    if proposal.is_empty() {
        SiteChange::Nothing
    } else {
        SiteChange::Propose(proposal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambdapress::redirects::Redirects;

    fn custom(id: i64, order: i64, parent: i64, title: &str) -> NavItem {
        NavItem {
            menu: "primary".into(),
            order,
            id,
            title: title.into(),
            kind: "custom".into(),
            object: "custom".into(),
            object_id: id.to_string(),
            url: format!("https://elsewhere.example/{id}"),
            parent: parent.to_string(),
        }
    }

    #[test]
    fn sub_menus_keep_one_level_and_deeper_entries_move_up_into_it() {
        // Services > Massage > Sports massage; a child listed before its parent.
        let items = [
            custom(13, 4, 12, "Sports massage"),
            custom(11, 1, 0, "Services"),
            custom(12, 2, 11, "Massage"),
            custom(14, 3, 11, "Acupuncture"),
            custom(15, 5, 0, "Book"),
        ];
        let links = Links::new("https://old.example", [], Redirects::new());
        let proposal = propose_menu(
            &items,
            &Channel::default(),
            &OldUrls::new(),
            &HashMap::new(),
            &links,
        )
        .unwrap();
        let tree: Vec<(&str, Vec<&str>)> = proposal
            .entries
            .iter()
            .map(|e| {
                (
                    e.label.as_str(),
                    e.children.iter().map(|c| c.label.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            tree,
            [
                ("Services", vec!["Massage", "Acupuncture", "Sports massage"]),
                ("Book", vec![])
            ]
        );
        assert!(
            proposal
                .notes
                .iter()
                .any(|n| n.contains("1 entries nested deeper")),
            "{:?}",
            proposal.notes
        );
        // As site.toml spells it, and read back by the settings parser.
        let toml = menu_toml(&proposal.entries);
        assert!(
            toml.contains("[[menu]]\nlabel = \"Services\"\nurl = \"https://elsewhere.example/11\"\n\n[[menu.children]]\nlabel = \"Massage\""),
            "{toml}"
        );
        let site = format!(
            "title = \"T\"\nbase_url = \"https://t.example\"\n[owner]\nname = \"N\"\n[address]\nstreet = \"1 Main St\"\nlocality = \"Town\"\nregion = \"CA\"\npostal_code = \"90027\"\n{toml}"
        );
        let parsed = SiteSettings::parse(&site);
        assert_eq!(
            parsed.map(|s| s.menu).map_err(|e| e.to_string()),
            Ok(proposal.entries)
        );
    }
}
