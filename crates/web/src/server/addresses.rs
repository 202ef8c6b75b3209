//! Open connections counted per client address, so one client cannot hold them all.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::client_ip::TrustedProxies;

type Counts = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// The per-address counters and their cap.
#[derive(Debug)]
pub(super) struct AddressSlots {
    max: usize,
    exempt: TrustedProxies,
    open: Counts,
}

/// One open connection's place in its address's count; dropping it frees the place.
#[derive(Debug)]
pub(super) struct AddressSlot {
    key: Option<IpAddr>,
    open: Counts,
}

impl AddressSlots {
    pub(super) fn new(max: usize, exempt: TrustedProxies) -> Self {
        Self {
            max,
            exempt,
            open: Counts::default(),
        }
    }

    /// A place for a new connection from `ip`, or `None` when the address is at the cap.
    /// Trusted proxies carry many clients' connections, so they are not counted.
    pub(super) fn take(&self, ip: IpAddr) -> Option<AddressSlot> {
        let ip = ip.to_canonical();
        if self.exempt.contains(ip) {
            return Some(AddressSlot {
                key: None,
                open: self.open.clone(),
            });
        }
        let key = bucket(ip);
        let mut open = lock(&self.open);
        let count = open.entry(key).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            key: Some(key),
            open: self.open.clone(),
        })
    }

    #[cfg(test)]
    fn open(&self, ip: IpAddr) -> usize {
        lock(&self.open).get(&bucket(ip)).copied().unwrap_or(0)
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut open = lock(&self.open);
        if let Some(count) = open.get_mut(&key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&key);
            }
        }
    }
}

/// An IPv6 client usually holds a whole /64, so that is what counts as one address.
fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
    }
}

/// The counts stay consistent even if a holder panicked: each update is one step.
fn lock(counts: &Counts) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
    counts.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn each_address_gets_up_to_the_cap_and_places_come_back() {
        let slots = AddressSlots::new(2, TrustedProxies::default());
        let a1 = slots.take(ip("192.0.2.1")).unwrap();
        let _a2 = slots.take(ip("192.0.2.1")).unwrap();
        assert!(slots.take(ip("192.0.2.1")).is_none());
        assert!(slots.take(ip("::ffff:192.0.2.1")).is_none(), "mapped IPv4");
        assert!(slots.take(ip("192.0.2.2")).is_some(), "others unaffected");
        drop(a1);
        assert_eq!(slots.open(ip("192.0.2.1")), 1);
        assert!(slots.take(ip("192.0.2.1")).is_some());
    }

    #[test]
    fn an_ipv6_64_is_one_address_and_trusted_proxies_are_not_counted() {
        let slots = AddressSlots::new(1, TrustedProxies::parse(&["10.0.0.0/8"]).unwrap());
        let _a = slots.take(ip("2001:db8:1:2::1")).unwrap();
        assert!(slots.take(ip("2001:db8:1:2::ffff")).is_none());
        assert!(slots.take(ip("2001:db8:1:3::1")).is_some());
        let held: Vec<_> = (0..5)
            .map(|_| slots.take(ip("10.0.0.5")).unwrap())
            .collect();
        assert_eq!(held.len(), 5);
        assert_eq!(slots.open(ip("10.0.0.5")), 0);
    }
}
