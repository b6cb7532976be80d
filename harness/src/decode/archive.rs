//! Zip archives (so also xlsx, docx, ODS and ODT files): each member is a view, up to `max_members`.

use std::io::Cursor;

use super::Step;
use super::content::read_bounded;
use super::walk::Walker;

impl Walker<'_> {
    /// Each member of a zip archive that is not a directory, within the room left.
    pub(super) fn zip(&mut self, input: &[u8]) {
        let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(input)) else {
            return;
        };
        if archive.len() > self.limits.max_members {
            self.walk.truncated = true;
        }
        for i in 0..archive.len().min(self.limits.max_members) {
            let room = self.room();
            if room == 0 {
                self.walk.truncated = true;
                return;
            }
            let Ok(member) = archive.by_index(i) else {
                continue;
            };
            if member.is_dir() {
                continue;
            }
            if let Ok((bytes, complete)) = read_bounded(member, room) {
                self.emit(Step::Zip, bytes, complete);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::decode::Step;
    use crate::decode::testing::{base64_encode, found, zip};

    #[test]
    fn zip_members_of_an_xlsx_and_an_ods() {
        let shared = "<sst><si><t>H&#233;l&#232;ne</t></si><si><t>DUBOIS-CANARY</t></si></sst>";
        let xlsx = zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/sharedStrings.xml", shared.as_bytes()),
        ]);
        assert!(found(&xlsx, None, &[Step::Zip], "DUBOIS-CANARY"));
        assert!(found(&xlsx, None, &[Step::Zip, Step::Entities], "Hélène"));
        let ods = zip(&[
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet",
            ),
            (
                "content.xml",
                "<table:table-cell><text:p>12 rue de l'Église</text:p></table:table-cell>"
                    .as_bytes(),
            ),
        ]);
        assert!(found(&ods, None, &[Step::Zip], "12 rue de l'Église"));
        // In a JSON field, base64-encoded: three steps deep.
        let json = format!("{{\"export\":\"{}\"}}", base64_encode(&xlsx));
        assert!(found(
            json.as_bytes(),
            None,
            &[Step::Base64, Step::Zip, Step::Entities],
            "Hélène"
        ));
    }
}
