//! paykassma-sandbox (being built).
