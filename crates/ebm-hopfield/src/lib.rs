//! `ebm-hopfield`: part of the ebm workspace.
