//! `edgeparity import`: the logic is `edgeparity::import`; this reads the
//! flags, prints the summary and picks the exit code.
//! Exit codes: 0 suites written (or nothing to write), 2 bad usage, an
//! unknown format, an existing file without --force, or nothing readable.

use std::path::PathBuf;

use edgeparity::exit;
use edgeparity::import::{self, record::Scheme, writer::Credentials, FormatArg, Options};

#[derive(clap::Args)]
pub struct ImportArgs {
    /// auto, logpush, fastly, nginx, har, urls or sitemap (auto says what it chose per file).
    #[arg(long, default_value = "auto")]
    pub format: String,
    /// Folder the suites are written to, one per host: DIR/<host>.yaml.
    #[arg(long, default_value = "suites/imported")]
    pub out: PathBuf,
    /// Samples kept per endpoint, the most frequent first.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub per_endpoint: u32,
    /// At most N cases in all: the highest-traffic endpoints are kept.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_cases: Option<u32>,
    /// Host of lines that carry none (Apache common/combined, nginx combined, /path lists);
    /// when given, requests for other hosts are left out. May carry a port.
    #[arg(long)]
    pub host: Option<String>,
    /// Scheme of lines that carry none.
    #[arg(long, default_value = "https", value_parser = ["http", "https"])]
    pub scheme: String,
    /// Overwrite existing suite files.
    #[arg(long)]
    pub force: bool,
    /// Keep methods other than GET and HEAD (no body is in the logs).
    #[arg(long)]
    pub include_unsafe: bool,
    /// Fastly JSON lines: read field NAME from key KEY (dots walk nested objects),
    /// e.g. --field host=req_host. NAME: host, url, method, status, cache_state,
    /// scheme, content_type, user_agent, accept, accept_encoding, accept_language.
    #[arg(long = "field", value_name = "NAME=KEY")]
    pub fields: Vec<String>,
    /// Another word that marks a query parameter as a credential (repeatable).
    #[arg(long = "secret-param", value_name = "WORD")]
    pub secret_params: Vec<String>,
    /// Cases that would carry a credential: `placeholder` writes ${IMPORT_...}, `drop` leaves them out.
    #[arg(long, default_value = "placeholder", value_parser = ["placeholder", "drop"])]
    pub credentials: String,
    /// Distinct values at one path position (or query parameter) above which it becomes {slug}.
    #[arg(long, default_value_t = import::template::DEFAULT_SLUG_THRESHOLD as u32, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub slug_threshold: u32,
    /// Traffic files (plain or gzip), `-` for standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(args: ImportArgs) -> anyhow::Result<i32> {
    let opts = Options {
        format: FormatArg::parse(&args.format)?,
        out: args.out,
        per_endpoint: args.per_endpoint as usize,
        max_cases: args.max_cases.map(|n| n as usize),
        host: args.host,
        scheme: Scheme::parse(&args.scheme).unwrap_or(Scheme::Https),
        force: args.force,
        include_unsafe: args.include_unsafe,
        fields: args.fields,
        secret_params: args.secret_params,
        credentials: if args.credentials == "drop" {
            Credentials::Drop
        } else {
            Credentials::Placeholder
        },
        slug_threshold: args.slug_threshold as usize,
    };
    let summary = import::run(&opts, &args.files)?;
    if !super::output::quiet() {
        print!("{}", summary.render());
    }
    Ok(if summary.nothing_read() {
        exit::USAGE
    } else {
        exit::PARITY
    })
}
