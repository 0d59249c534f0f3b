//! `ebm`: part of the ebm workspace.
