//! The open-file limit: raised at start from the soft to the hard limit where the system
//! allows, and used to keep the connection cap below it. Every connection is a descriptor; the
//! common default soft limit of 1,024 runs out long before `server.max_connections`, and then
//! the listener cannot accept anyone.

/// Descriptors kept free for everything but client connections: the listener, log and data
/// files, mail, and this many more than the database pool.
const RESERVED: u64 = 64;

/// Raises the soft limit to the hard one; answers the soft limit now in force, or `None`
/// where it cannot be read.
#[cfg(unix)]
pub fn raise() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let Some(hard) = limit.maximum else {
        // No hard limit: some systems refuse "infinity" as a soft limit; leave it as it is.
        return limit.current;
    };
    match limit.current {
        Some(soft) if soft >= hard => return Some(soft),
        None => return None,
        Some(_) => {}
    }
    let raised = Rlimit {
        current: Some(hard),
        maximum: Some(hard),
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => {
            tracing::info!(
                from = limit.current,
                to = hard,
                "raised the open-file limit to the hard limit"
            );
            Some(hard)
        }
        Err(e) => {
            tracing::warn!(error = %e, soft = ?limit.current, hard, "cannot raise the open-file limit");
            limit.current
        }
    }
}

#[cfg(not(unix))]
pub fn raise() -> Option<u64> {
    None
}

/// The connection cap that fits under `open_files` descriptors next to a database pool of
/// `pool` connections; `wanted` when it fits or the limit is unknown.
pub fn fitting_connections(wanted: usize, open_files: Option<u64>, pool: u32) -> usize {
    let Some(open_files) = open_files else {
        return wanted;
    };
    let room = open_files.saturating_sub(RESERVED + u64::from(pool)).max(1);
    usize::try_from(room).map_or(wanted, |room| wanted.min(room))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_under_the_descriptor_limit() {
        assert_eq!(fitting_connections(10_000, Some(1024), 16), 944);
        assert_eq!(fitting_connections(500, Some(1024), 16), 500);
        assert_eq!(fitting_connections(10_000, None, 16), 10_000);
        assert_eq!(fitting_connections(10_000, Some(10), 16), 1);
    }

    #[cfg(unix)]
    #[test]
    fn raising_reaches_the_hard_limit_where_there_is_one() {
        let soft = raise();
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        assert_eq!(soft, limit.current);
        if let (Some(current), Some(hard)) = (limit.current, limit.maximum) {
            assert_eq!(current, hard);
        }
    }
}
