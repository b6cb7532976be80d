//! How a mock answers and what it reads from a request: JSON replies, file downloads, an operator's key, a
//! credential in `Authorization`, a session cookie, a file in a multipart form, HTTP Basic. One copy, the
//! benchmark platforms' (`cloison_fixtures::corpus::kit`), shared by the mocks still in the test suite.

pub(crate) use cloison_fixtures::corpus::kit::{
    Upload, base64_decode, cookie, credential, file_answer, header_is, not_found, reply, text,
    upload,
};
