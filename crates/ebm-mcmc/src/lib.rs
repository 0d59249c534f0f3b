//! `ebm-mcmc`: part of the ebm workspace.
