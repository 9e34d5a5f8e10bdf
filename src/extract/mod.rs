//! Pure parsers: page text, script text, GTM containers and Segment settings in; facts out.

pub mod gtm;
