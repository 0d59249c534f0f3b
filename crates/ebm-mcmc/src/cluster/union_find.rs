//! Disjoint sets with union by size and path compression.

/// A partition of 0..N into disjoint sets, each represented by a root.
///
/// `union` hangs the smaller tree under the larger one and `find` points
/// every node on the path straight at the root, so a sequence of m
/// operations costs O(m α(N)) (Tarjan 1975), α the inverse Ackermann
/// function: constant in practice.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// Makes every element of 0..`len` a set of its own, reusing the buffers.
    pub(super) fn reset(&mut self, len: usize) {
        self.parent.clear();
        self.parent.extend((0..len).map(|i| i as u32));
        self.size.clear();
        self.size.resize(len, 1);
    }

    /// The root of the set of `i`; compresses the path from `i` to it.
    pub(super) fn find(&mut self, i: usize) -> usize {
        let mut root = i;
        while self.parent[root] as usize != root {
            root = self.parent[root] as usize;
        }
        let mut node = i;
        while node != root {
            let next = self.parent[node] as usize;
            self.parent[node] = root as u32;
            node = next;
        }
        root
    }

    /// Merges the sets of `a` and `b`; returns whether they were different.
    pub(super) fn union(&mut self, a: usize, b: usize) -> bool {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return false;
        }
        let (big, small) = if self.size[a] >= self.size[b] { (a, b) } else { (b, a) };
        self.parent[small] = big as u32;
        self.size[big] += self.size[small];
        true
    }

    /// The number of elements in the set whose root is `root`.
    #[cfg(test)]
    pub(super) fn size_of_root(&self, root: usize) -> u32 {
        self.size[root]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_naive_labels(len in 1usize..40, pairs in prop::collection::vec((0usize..40, 0usize..40), 0..60)) {
            let mut uf = UnionFind::default();
            uf.reset(len);
            // Naive: a label per element, relabelled on every merge.
            let mut label: Vec<usize> = (0..len).collect();
            for (a, b) in pairs.into_iter().map(|(a, b)| (a % len, b % len)) {
                let merged = uf.union(a, b);
                let (la, lb) = (label[a], label[b]);
                prop_assert_eq!(merged, la != lb);
                label.iter_mut().filter(|l| **l == lb).for_each(|l| *l = la);
            }
            for i in 0..len {
                for j in 0..len {
                    prop_assert_eq!(uf.find(i) == uf.find(j), label[i] == label[j]);
                }
                let root = uf.find(i);
                let members = label.iter().filter(|&&l| l == label[i]).count() as u32;
                prop_assert_eq!(uf.size_of_root(root), members);
                // After find, i points straight at its root.
                prop_assert!(uf.parent[i] as usize == root);
            }
        }
    }
}
