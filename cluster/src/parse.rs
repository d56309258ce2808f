//! What the client parses from outside itself: the `--engine` URL, the scheduler's REST
//! answers (executors, jobs) and the header line of each CSV part the executors write. Kept
//! free of DataFusion and of the network, so the fuzz targets build without them
//! (`default-features = false`).

/// `host:port` of `df://host:port`.
pub fn parse_engine_url(url: &str) -> Result<(String, u16), String> {
    let rest = url
        .strip_prefix("df://")
        .ok_or_else(|| format!("--engine {url}: expected df://HOST:PORT (a Ballista scheduler)"))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':').ok_or_else(|| {
        format!("--engine {url}: no port; expected df://HOST:PORT (Ballista's default is 50050)")
    })?;
    let port: u16 = port.parse().map_err(|_| format!("--engine {url}: the port {port:?} is not a number"))?;
    if host.is_empty() || port == 0 || host.contains('/') {
        return Err(format!("--engine {url}: expected df://HOST:PORT"));
    }
    Ok((host.to_string(), port))
}

/// One executor as the scheduler's REST API lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Executor {
    /// The executor's id.
    pub id: String,
    /// Host it advertises.
    pub host: String,
    /// Its Arrow Flight port.
    pub port: u16,
    /// What it offers (absent from an older scheduler's answer: then one core).
    #[serde(default)]
    pub specification: Specification,
}

/// An executor's resources as the scheduler lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct Specification {
    /// The tasks it runs at once (its `--vcores`).
    pub vcores: u32,
}

impl Default for Specification {
    fn default() -> Self {
        Specification { vcores: 1 }
    }
}

impl Executor {
    /// `id at host:port`, for messages.
    pub fn describe(&self) -> String {
        format!("{} at {}:{}", self.id, self.host, self.port)
    }
}

/// A job as the scheduler's REST API lists it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Job {
    /// Its id (how it is cancelled).
    pub job_id: String,
    /// The name the client gave its session's jobs.
    pub job_name: String,
    /// `Queued`, `Running`, `Completed`, `Failed` or `Invalid`.
    pub status: String,
}

/// The scheduler's `GET /api/executors` answer.
pub fn executors(text: &str) -> Result<Vec<Executor>, String> {
    serde_json::from_str(text).map_err(|e| format!("not a list of executors: {e}"))
}

/// The scheduler's `GET /api/jobs` answer.
pub fn jobs(text: &str) -> Result<Vec<Job>, String> {
    serde_json::from_str(text).map_err(|e| format!("not a list of jobs: {e}"))
}

/// Reads a CSV part's header line, which must name exactly `columns` (an empty part, of an
/// empty input file, has no line at all).
pub fn skip_header(part: &mut impl std::io::BufRead, columns: &[String]) -> Result<(), String> {
    let mut line = Vec::new();
    part.read_until(b'\n', &mut line).map_err(|e| e.to_string())?;
    if line.is_empty() {
        return Ok(());
    }
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_slice());
    let header = r.records().next().and_then(Result::ok).ok_or("its first line is not a CSV header")?;
    if !header.iter().eq(columns.iter().map(String::as_str)) {
        return Err(format!("its header is {:?}, expected {:?}", header.iter().collect::<Vec<_>>(), columns));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_urls_are_df_host_port_and_anything_else_is_refused_by_name() {
        assert_eq!(parse_engine_url("df://127.0.0.1:50050"), Ok(("127.0.0.1".into(), 50050)));
        assert_eq!(parse_engine_url("df://sched.example:7/"), Ok(("sched.example".into(), 7)));
        for bad in
            ["http://h:1", "df://h", "df://h:x", "df://:1", "df://h:0", "df://h/p:1", "h:1", "df://h:70000"]
        {
            let e = parse_engine_url(bad).expect_err(bad);
            assert!(
                e.contains(bad) && e.contains("df://HOST:PORT") || e.contains("not a number"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn a_csv_part_must_start_with_the_expected_header() {
        let cols = vec!["a b".to_string(), "c,d".to_string()];
        let mut ok = std::io::Cursor::new(b"\"a b\",\"c,d\"\n\"1\",\"2\"\n".to_vec());
        skip_header(&mut ok, &cols).expect("quoted header");
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut ok, &mut rest).expect("rest");
        assert_eq!(rest, "\"1\",\"2\"\n");
        skip_header(&mut std::io::Cursor::new(b"a b,\"c,d\"\n".to_vec()), &cols).expect("plain header");
        skip_header(&mut std::io::Cursor::new(Vec::new()), &cols).expect("an empty part");
        let e = skip_header(&mut std::io::Cursor::new(b"1,2\n".to_vec()), &cols).expect_err("a data row");
        assert!(e.contains("expected"), "{e}");
        assert!(skip_header(&mut std::io::Cursor::new(b"a b\n".to_vec()), &cols).is_err());
    }

    #[test]
    fn scheduler_answers_parse_or_are_refused() {
        let e = executors(r#"[{"id":"e1","host":"h","port":7,"last_seen":1}]"#).expect("executors");
        let one = Specification { vcores: 1 };
        assert_eq!(e, [Executor { id: "e1".into(), host: "h".into(), port: 7, specification: one }]);
        let e =
            executors(r#"[{"id":"e1","host":"h","port":7,"specification":{"vcores":6}}]"#).expect("vcores");
        assert_eq!(e[0].specification.vcores, 6);
        assert!(executors(r#"[{"id":"e1","host":"h","port":7,"specification":{"vcores":-1}}]"#).is_err());
        assert!(executors("<html>").expect_err("html").contains("not a list of executors"));
        assert!(executors(r#"[{"id":"e1","host":"h","port":70000}]"#).is_err(), "a port beyond u16");
        let j = jobs(r#"[{"job_id":"a","job_name":"n","status":"Running","x":1}]"#).expect("jobs");
        assert_eq!((j[0].job_id.as_str(), j[0].status.as_str()), ("a", "Running"));
        assert!(jobs("{}").is_err());
    }
}
