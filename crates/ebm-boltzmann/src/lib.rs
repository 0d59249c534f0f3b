//! `ebm-boltzmann`: part of the ebm workspace.
