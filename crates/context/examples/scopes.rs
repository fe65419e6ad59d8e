//! Prints the scope tree the finder sees in a file, one scope per line with
//! its lines, for checking the finder by eye:
//! `cargo run -p argus-context --example scopes -- path/to/file.rs`.

use argus_context::scopes_for_path;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: scopes <file>");
        std::process::exit(2);
    };
    let text = match std::fs::read(&path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let tree = scopes_for_path(&path, &text);
    for s in &tree.scopes {
        let mut depth = 0;
        let mut p = s.parent;
        while let Some(i) = p {
            depth += 1;
            p = tree.scopes[i as usize].parent;
        }
        println!("{:indent$}{} {} [{}..{}] name@{} end {}", "", s.kind.word(), s.name, s.start, s.header_end, s.name_line, s.end, indent = depth * 2);
    }
}
