//! Pure parsers: page text, script text, GTM containers and Segment settings in; facts out.

pub mod apps;
pub mod decode;
pub mod detect;
pub mod gtm;
pub mod html;
pub mod js;
pub mod jsobj;
pub mod segment_settings;
pub mod signatures;
pub mod suppress;
pub mod template;
