//! `ebm-data`: part of the ebm workspace.
