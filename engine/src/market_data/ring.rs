//! A ring of at most `cap` values, oldest overwritten first.
//!
//! What holds: `len() <= cap` forever; the backing storage is reserved once,
//! exactly `cap` slots, on the first push, and never grows afterwards. Index 0
//! is the oldest value kept, `len() - 1` the newest.

#[derive(Clone, Debug)]
pub(crate) struct Ring<T> {
    buf: Vec<T>,
    /// Position of the oldest value once the ring is full; 0 before.
    head: usize,
    cap: usize,
}

impl<T: Copy> Ring<T> {
    pub fn new(cap: usize) -> Ring<T> {
        Ring {
            buf: Vec::new(),
            head: 0,
            cap,
        }
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Appends `v` as the newest value, dropping the oldest when full.
    pub fn push(&mut self, v: T) {
        if self.cap == 0 {
            return;
        }
        if self.buf.len() < self.cap {
            if self.buf.capacity() == 0 {
                self.buf.reserve_exact(self.cap);
            }
            self.buf.push(v);
        } else {
            self.buf[self.head] = v;
            self.head = (self.head + 1) % self.cap;
        }
    }

    /// Storage position of the `i`-th oldest value (`i < len`).
    #[inline]
    fn pos(&self, i: usize) -> usize {
        (self.head + i) % self.buf.len()
    }

    pub fn last(&self) -> Option<&T> {
        let n = self.buf.len();
        (n > 0).then(|| &self.buf[self.pos(n - 1)])
    }

    pub fn last_mut(&mut self) -> Option<&mut T> {
        let n = self.buf.len();
        if n == 0 {
            return None;
        }
        let p = self.pos(n - 1);
        Some(&mut self.buf[p])
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator + '_ {
        (0..self.buf.len()).map(move |i| &self.buf[self.pos(i)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_cap_values_in_order() {
        let mut r = Ring::new(3);
        assert!(r.last().is_none());
        for v in 1..=7 {
            r.push(v);
            assert!(r.len() <= 3);
            assert_eq!(r.last(), Some(&v));
        }
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), vec![5, 6, 7]);
        assert_eq!(r.iter().rev().copied().collect::<Vec<_>>(), vec![7, 6, 5]);
        assert_eq!(r.buf.capacity(), 3);
        *r.last_mut().unwrap() = 70;
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), vec![5, 6, 70]);
        let mut z: Ring<u8> = Ring::new(0);
        z.push(1);
        assert_eq!(z.len(), 0);
    }
}
