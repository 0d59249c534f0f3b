//! `ebm-train`: part of the ebm workspace.
