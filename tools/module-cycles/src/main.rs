//! `module-cycles ROOT.rs...`: fails when the modules of a crate depend on each other in a cycle.
//!
//! A module depends on another when its code names one of the other's items: in a `use`
//! declaration, or in a path anywhere in its items (types, expressions, patterns, trait
//! bounds). Imports are followed to where the item is defined, so naming `crate::Node`, which
//! the crate root re-exports from `node`, is a dependency on `node`, not on the root. Declaring
//! a child module is not a dependency on it. Two things are not seen: paths inside macro
//! invocations (token streams), and method calls (`daemon.handle(..)` depends on the module of
//! the `impl`, which only type inference knows).
//!
//! Why not `cargo modules dependencies --acyclic`: it checks cycles between items (a type and
//! its own methods form one), not between modules, and it takes far longer to build than the
//! whole workspace. This reads the sources with `syn` and answers in a second.

use anyhow::{Context, bail};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use syn::visit::Visit;

/// A module's path from the crate root: `[]` is the root, `["admin", "join"]` is `admin::join`.
type ModPath = Vec<String>;

struct Module {
    path: ModPath,
    file: PathBuf,
    /// Its own items, without the items of its child modules.
    items: Vec<syn::Item>,
}

fn main() -> ExitCode {
    let roots: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if roots.is_empty() {
        eprintln!("usage: module-cycles CRATE_ROOT.rs... (e.g. crates/x/src/lib.rs)");
        return ExitCode::from(2);
    }
    let mut failed = false;
    for root in &roots {
        match check(root) {
            Ok(true) => {}
            Ok(false) => failed = true,
            Err(error) => {
                eprintln!("module-cycles: {}: {error:#}", root.display());
                return ExitCode::from(2);
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Checks one crate; prints what it found. True when there is no cycle.
fn check(root: &Path) -> anyhow::Result<bool> {
    let mut modules = Vec::new();
    let file = parse(root)?;
    let dir = root.parent().context("the crate root has no directory")?;
    load(Vec::new(), root, dir, file.items, &mut modules)?;
    let graph = Graph::build(&modules);
    let cycles = graph.cycles();
    let name = root.display();
    if cycles.is_empty() {
        println!(
            "{name}: {} modules, {} dependencies between them, no cycle",
            modules.len(),
            graph.edges.values().map(BTreeMap::len).sum::<usize>()
        );
        return Ok(true);
    }
    for cycle in &cycles {
        println!("{name}: these modules depend on each other in a cycle:");
        for &from in cycle {
            for (&to, site) in &graph.edges[&from] {
                if cycle.contains(&to) {
                    println!(
                        "  {} -> {}   ({site})",
                        show(&modules[from].path),
                        show(&modules[to].path)
                    );
                }
            }
        }
    }
    Ok(false)
}

fn parse(file: &Path) -> anyhow::Result<syn::File> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    syn::parse_file(&text).with_context(|| format!("parsing {}", file.display()))
}

/// Collects the module at `path` and its descendants. `dir` is where its child modules' files
/// are.
fn load(
    path: ModPath,
    file: &Path,
    dir: &Path,
    items: Vec<syn::Item>,
    out: &mut Vec<Module>,
) -> anyhow::Result<()> {
    let mut own = Vec::new();
    let mut children = Vec::new();
    for item in items {
        match item {
            syn::Item::Mod(module) => children.push(module),
            other => own.push(other),
        }
    }
    out.push(Module {
        path: path.clone(),
        file: file.to_owned(),
        items: own,
    });
    for child in children {
        let name = child.ident.to_string();
        let mut child_path = path.clone();
        child_path.push(name.clone());
        match child.content {
            Some((_, items)) => load(child_path, file, &dir.join(&name), items, out)?,
            None => {
                let flat = dir.join(format!("{name}.rs"));
                let nested = dir.join(&name).join("mod.rs");
                let child_file = if flat.exists() { flat } else { nested };
                if !child_file.exists() {
                    bail!("module {} has no file", show(&child_path));
                }
                let parsed = parse(&child_file)?;
                load(child_path, &child_file, &dir.join(&name), parsed.items, out)?;
            }
        }
    }
    Ok(())
}

fn show(path: &ModPath) -> String {
    if path.is_empty() {
        "crate".into()
    } else {
        path.join("::")
    }
}

/// Who depends on whom, with one place in the code that shows it.
struct Graph {
    edges: BTreeMap<usize, BTreeMap<usize, String>>,
}

impl Graph {
    fn build(modules: &[Module]) -> Self {
        let index: HashMap<&ModPath, usize> = modules
            .iter()
            .enumerate()
            .map(|(i, m)| (&m.path, i))
            .collect();
        // Every name a `use` brings into a module, and the absolute path it stands for (None:
        // outside the crate).
        let mut imports: HashMap<(usize, String), Option<ModPath>> = HashMap::new();
        for (i, module) in modules.iter().enumerate() {
            for item in &module.items {
                if let syn::Item::Use(decl) = item {
                    let mut leaves = Vec::new();
                    use_leaves(&decl.tree, Vec::new(), &mut leaves);
                    for (full, name, _) in leaves {
                        if let Some(name) = name {
                            let absolute = absolute(&full, i, modules, &index, &HashMap::new());
                            imports.insert((i, name), absolute);
                        }
                    }
                }
            }
        }
        let resolver = Resolver {
            modules,
            index: &index,
            imports: &imports,
        };
        let mut edges: BTreeMap<usize, BTreeMap<usize, String>> = BTreeMap::new();
        for (i, module) in modules.iter().enumerate() {
            let mut names = Names::default();
            for item in &module.items {
                names.visit_item(item);
            }
            let entry = edges.entry(i).or_default();
            for (path, line) in names.paths {
                if let Some(target) = resolver.module_of(&path, i)
                    && target != i
                {
                    entry
                        .entry(target)
                        .or_insert_with(|| format!("{}:{line}", module.file.display()));
                }
            }
        }
        Self { edges }
    }

    /// The strongly connected components with more than one module (Tarjan).
    fn cycles(&self) -> Vec<BTreeSet<usize>> {
        struct State<'a> {
            graph: &'a Graph,
            next: usize,
            index: HashMap<usize, usize>,
            low: HashMap<usize, usize>,
            stack: Vec<usize>,
            on_stack: BTreeSet<usize>,
            found: Vec<BTreeSet<usize>>,
        }
        fn visit(s: &mut State<'_>, v: usize) {
            s.index.insert(v, s.next);
            s.low.insert(v, s.next);
            s.next += 1;
            s.stack.push(v);
            s.on_stack.insert(v);
            let targets: Vec<usize> = s
                .graph
                .edges
                .get(&v)
                .map(|e| e.keys().copied().collect())
                .unwrap_or_default();
            for w in targets {
                if !s.index.contains_key(&w) {
                    visit(s, w);
                    let low = s.low[&v].min(s.low[&w]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(&w) {
                    let low = s.low[&v].min(s.index[&w]);
                    s.low.insert(v, low);
                }
            }
            if s.low[&v] == s.index[&v] {
                let mut component = BTreeSet::new();
                while let Some(w) = s.stack.pop() {
                    s.on_stack.remove(&w);
                    component.insert(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    s.found.push(component);
                }
            }
        }
        let mut state = State {
            graph: self,
            next: 0,
            index: HashMap::new(),
            low: HashMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            found: Vec::new(),
        };
        for &v in self.edges.keys() {
            if !state.index.contains_key(&v) {
                visit(&mut state, v);
            }
        }
        state.found
    }
}

struct Resolver<'a> {
    modules: &'a [Module],
    index: &'a HashMap<&'a ModPath, usize>,
    imports: &'a HashMap<(usize, String), Option<ModPath>>,
}

impl Resolver<'_> {
    /// The module that defines what `path`, written in module `from`, names; None outside the
    /// crate.
    fn module_of(&self, path: &[String], from: usize) -> Option<usize> {
        let mut absolute = absolute(path, from, self.modules, self.index, self.imports)?;
        // Follow re-exports; the bound only guards against a malformed import loop.
        for _ in 0..16 {
            let (module, rest) = longest_module(&absolute, self.index);
            match rest.first() {
                Some(name) => match self.imports.get(&(module, name.clone())) {
                    Some(Some(target)) => {
                        let mut next = target.clone();
                        next.extend(rest[1..].iter().cloned());
                        if next == absolute {
                            return Some(module);
                        }
                        absolute = next;
                    }
                    Some(None) => return None,
                    None => return Some(module),
                },
                None => return Some(module),
            }
        }
        None
    }
}

/// `path` as written in module `from`, made absolute; None when it starts outside the crate.
fn absolute(
    path: &[String],
    from: usize,
    modules: &[Module],
    index: &HashMap<&ModPath, usize>,
    imports: &HashMap<(usize, String), Option<ModPath>>,
) -> Option<ModPath> {
    let (first, rest) = path.split_first()?;
    let mut base = modules[from].path.clone();
    match first.as_str() {
        "crate" => base.clear(),
        "self" => {}
        "super" => {
            base.pop()?;
            let mut rest = rest;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
            base.extend(rest.iter().cloned());
            return Some(base);
        }
        name => {
            let mut child = base.clone();
            child.push(name.to_owned());
            if index.contains_key(&child) {
                child.extend(rest.iter().cloned());
                return Some(child);
            }
            let mut imported = imports.get(&(from, name.to_owned()))?.clone()?;
            imported.extend(rest.iter().cloned());
            return Some(imported);
        }
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The longest prefix of `path` that is a module, and what follows it.
fn longest_module<'p>(
    path: &'p [String],
    index: &HashMap<&ModPath, usize>,
) -> (usize, &'p [String]) {
    for len in (0..=path.len()).rev() {
        if let Some(&module) = index.get(&path[..len].to_vec()) {
            return (module, &path[len..]);
        }
    }
    // The root is always a module.
    (index[&Vec::new()], path)
}

/// The leaves of a use tree: the full path, the name it binds (None for globs), and its line.
fn use_leaves(
    tree: &syn::UseTree,
    prefix: ModPath,
    out: &mut Vec<(ModPath, Option<String>, usize)>,
) {
    let line = |span: proc_macro2::Span| span.start().line;
    match tree {
        syn::UseTree::Path(p) => {
            let mut next = prefix;
            next.push(p.ident.to_string());
            use_leaves(&p.tree, next, out);
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                let bound = prefix.last().cloned();
                out.push((prefix, bound, line(n.ident.span())));
            } else {
                let mut full = prefix;
                full.push(name.clone());
                out.push((full, Some(name), line(n.ident.span())));
            }
        }
        syn::UseTree::Rename(r) => {
            let mut full = prefix;
            full.push(r.ident.to_string());
            out.push((full, Some(r.rename.to_string()), line(r.ident.span())));
        }
        syn::UseTree::Glob(g) => out.push((prefix, None, line(g.star_token.spans[0]))),
        syn::UseTree::Group(g) => {
            for tree in &g.items {
                use_leaves(tree, prefix.clone(), out);
            }
        }
    }
}

/// Every path a module's items name, with its line.
#[derive(Default)]
struct Names {
    paths: Vec<(ModPath, usize)>,
}

impl<'ast> Visit<'ast> for Names {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: ModPath = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let line = path
            .segments
            .first()
            .map_or(0, |s| s.ident.span().start().line);
        self.paths.push((segments, line));
        syn::visit::visit_path(self, path);
    }

    fn visit_item_use(&mut self, decl: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        use_leaves(&decl.tree, Vec::new(), &mut leaves);
        for (full, _, line) in leaves {
            self.paths.push((full, line));
        }
    }

    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {
        // `pub(crate)` and `pub(super)` name a module without depending on it.
    }

    fn visit_item_mod(&mut self, _: &'ast syn::ItemMod) {
        // A child module's code is its own; only `load` looks at it.
    }
}
