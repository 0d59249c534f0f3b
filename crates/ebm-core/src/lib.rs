//! `ebm-core`: part of the ebm workspace.
