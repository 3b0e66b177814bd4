//! Windows security descriptors: the ACL that makes a directory private to the user, and the
//! check that a file tokex reads is the user's and writable by nobody else.

use std::ffi::c_void;
use std::fs::File;
use std::io;
use std::os::windows::io::AsRawHandle;
use std::path::Path;
use windows_sys::Win32::Foundation::{CloseHandle, ERROR_SUCCESS, HANDLE, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, GetSecurityInfo,
    SDDL_REVISION_1, SE_FILE_OBJECT, SetNamedSecurityInfoW,
};
use windows_sys::Win32::Security::{
    ACCESS_ALLOWED_ACE, ACL, DACL_SECURITY_INFORMATION, GetAce, GetSecurityDescriptorDacl,
    GetTokenInformation, OWNER_SECURITY_INFORMATION, PROTECTED_DACL_SECURITY_INFORMATION,
    PSECURITY_DESCRIPTOR, PSID, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

use super::wide;

/// Who may own a file tokex trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The user alone: what tokex writes itself (the cache, its locks).
    User,
    /// The user, SYSTEM or the Administrators group: what the user or the system configured.
    UserOrAdmin,
}

const SYSTEM: &str = "S-1-5-18";
const ADMINISTRATORS: &str = "S-1-5-32-544";
/// `ACCESS_ALLOWED_ACE_TYPE`.
const ALLOW: u8 = 0;
/// Rights that let a holder change what tokex reads: write or append data (add a file, in a
/// directory), delete, change the ACL or the owner, and the generic rights that include them.
const WRITE_RIGHTS: u32 = 0x2 | 0x4 | 0x1_0000 | 0x4_0000 | 0x8_0000 | 0x1000_0000 | 0x4000_0000;

/// Why the opened `file` must not be trusted: someone else owns it, or its ACL lets someone
/// other than the user, SYSTEM and the Administrators write to it (or it has no ACL at all).
pub fn trust_problem(file: &File, owner: Owner) -> io::Result<Option<String>> {
    let user = current_user_sid()?;
    let mut owner_sid: PSID = std::ptr::null_mut();
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: the handle is open for the call's duration; the out-pointers receive pointers
    // into `descriptor`, which the call allocates and LocalFree releases below.
    let status = unsafe {
        GetSecurityInfo(
            file.as_raw_handle() as HANDLE,
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut owner_sid,
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut descriptor,
        )
    };
    if status != ERROR_SUCCESS {
        return Err(io::Error::from_raw_os_error(status as i32));
    }
    let trusted = |sid: &str| sid == user || sid == SYSTEM || sid == ADMINISTRATORS;
    let problem = (|| {
        let owned_by = sid_text(owner_sid)?;
        let owner_ok = owned_by == user || (owner == Owner::UserOrAdmin && trusted(&owned_by));
        if !owner_ok {
            return Ok(Some(format!("is owned by another account ({owned_by})")));
        }
        if dacl.is_null() {
            return Ok(Some("has no ACL, so anyone may change it".into()));
        }
        // SAFETY: `dacl` points into `descriptor`, alive until the LocalFree below.
        let count = unsafe { (*dacl).AceCount };
        for i in 0..u32::from(count) {
            let mut ace: *mut c_void = std::ptr::null_mut();
            // SAFETY: `i` is below the ACL's ACE count; `ace` receives a pointer into the ACL.
            if unsafe { GetAce(dacl, i, &mut ace) } == 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: every ACE starts with an ACE_HEADER; an allow ACE is ACCESS_ALLOWED_ACE,
            // whose SID starts at `SidStart`.
            let (kind, mask, sid) = unsafe {
                let allowed = ace as *const ACCESS_ALLOWED_ACE;
                let sid = std::ptr::addr_of!((*allowed).SidStart) as PSID;
                ((*allowed).Header.AceType, (*allowed).Mask, sid)
            };
            if kind == ALLOW && mask & WRITE_RIGHTS != 0 {
                let who = sid_text(sid)?;
                if !trusted(&who) {
                    return Ok(Some(format!(
                        "is writable by {who}; let only your account change it"
                    )));
                }
            }
        }
        Ok(None)
    })();
    // SAFETY: allocated by GetSecurityInfo.
    unsafe { LocalFree(descriptor) };
    problem
}

/// Gives `path` a protected ACL (nothing inherited from its parents) granting full access to
/// the current user and SYSTEM only, inherited by everything created inside.
pub(super) fn restrict_to_user(path: &Path) -> io::Result<()> {
    let sid = current_user_sid()?;
    let descriptor = Descriptor::from_sddl(&format!("D:P(A;OICI;FA;;;{sid})(A;OICI;FA;;;SY)"))?;
    let (mut present, mut defaulted) = (0, 0);
    let mut dacl: *mut ACL = std::ptr::null_mut();
    // SAFETY: `descriptor` is valid; the DACL pointer points into it and lives as long.
    if unsafe { GetSecurityDescriptorDacl(descriptor.0, &mut present, &mut dacl, &mut defaulted) }
        == 0
    {
        return Err(io::Error::last_os_error());
    }
    let name = wide(path.as_os_str());
    // SAFETY: `name` is NUL-terminated; `dacl` stays valid while `descriptor` lives.
    let status = unsafe {
        SetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            dacl,
            std::ptr::null(),
        )
    };
    if status != ERROR_SUCCESS {
        return Err(io::Error::from_raw_os_error(status as i32));
    }
    Ok(())
}

/// A security descriptor made from SDDL text, freed when dropped.
pub(super) struct Descriptor(PSECURITY_DESCRIPTOR);

impl Descriptor {
    fn from_sddl(sddl: &str) -> io::Result<Descriptor> {
        let sddl = wide(sddl.as_ref());
        let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: `sddl` is NUL-terminated; the descriptor the call allocates is freed on drop.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut descriptor,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Descriptor(descriptor))
    }

    /// One that admits the current user and SYSTEM alone, to everything (the agent's pipe).
    pub(super) fn user_only() -> io::Result<Descriptor> {
        let sid = current_user_sid()?;
        Descriptor::from_sddl(&format!("D:P(A;;GA;;;{sid})(A;;GA;;;SY)"))
    }

    pub(super) fn as_ptr(&self) -> *mut c_void {
        self.0
    }
}

impl Drop for Descriptor {
    fn drop(&mut self) {
        // SAFETY: allocated by ConvertStringSecurityDescriptorToSecurityDescriptorW.
        unsafe { LocalFree(self.0) };
    }
}

/// The current user's SID as text (`S-1-5-21-…`).
fn current_user_sid() -> io::Result<String> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the pseudo-handle of this process; `token` receives a handle closed below.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let result = (|| {
        // TOKEN_USER plus its SID: 256 bytes hold the largest SID (68 bytes) with room to spare;
        // u64 elements keep the buffer aligned for the struct.
        let mut buf = [0u64; 32];
        let mut len = 0u32;
        // SAFETY: `buf` is writable for the size given; `token` is open with TOKEN_QUERY.
        let ok = unsafe {
            GetTokenInformation(
                token,
                TokenUser,
                buf.as_mut_ptr() as *mut c_void,
                std::mem::size_of_val(&buf) as u32,
                &mut len,
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the call filled `buf` with a TOKEN_USER whose SID pointer points into `buf`.
        let sid = unsafe { (*(buf.as_ptr() as *const TOKEN_USER)).User.Sid };
        sid_text(sid)
    })();
    // SAFETY: opened above.
    unsafe { CloseHandle(token) };
    result
}

/// A SID as text (`S-1-5-21-…`).
fn sid_text(sid: PSID) -> io::Result<String> {
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` is a valid SID; `text` is allocated by the call, freed with LocalFree.
    if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `text` is a NUL-terminated UTF-16 string from the call above.
    let s = unsafe {
        let len = (0..).take_while(|&i| *text.add(i) != 0).count();
        String::from_utf16_lossy(std::slice::from_raw_parts(text, len))
    };
    // SAFETY: allocated by ConvertSidToStringSidW.
    unsafe { LocalFree(text as *mut c_void) };
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::super::{create_private_dir, under_wine};
    use super::*;
    use windows_sys::Win32::Security::Authorization::{
        ConvertSecurityDescriptorToStringSecurityDescriptorW, GetNamedSecurityInfoW,
    };

    /// The DACL of `path` in SDDL.
    fn dacl(path: &Path) -> String {
        let name = wide(path.as_os_str());
        let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: out-pointers to locals; the descriptor is freed below.
        let status = unsafe {
            GetNamedSecurityInfoW(
                name.as_ptr(),
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut descriptor,
            )
        };
        assert_eq!(status, ERROR_SUCCESS);
        let mut text: *mut u16 = std::ptr::null_mut();
        // SAFETY: `descriptor` is valid; `text` is allocated by the call.
        let ok = unsafe {
            ConvertSecurityDescriptorToStringSecurityDescriptorW(
                descriptor,
                SDDL_REVISION_1,
                DACL_SECURITY_INFORMATION,
                &mut text,
                std::ptr::null_mut(),
            )
        };
        assert_ne!(ok, 0);
        // SAFETY: NUL-terminated UTF-16 from the call; both freed once read.
        unsafe {
            let len = (0..).take_while(|&i| *text.add(i) != 0).count();
            let s = String::from_utf16_lossy(std::slice::from_raw_parts(text, len));
            LocalFree(text as *mut c_void);
            LocalFree(descriptor);
            s
        }
    }

    #[test]
    fn a_private_dir_admits_the_user_and_system_alone_and_its_files_inherit_that() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("cache");
        create_private_dir(&dir).unwrap();
        if under_wine() {
            // Wine keeps Unix modes, not ACLs, on a Linux file system: the call succeeds there and
            // changes nothing to read back. The Windows runner in .github/workflows checks it.
            eprintln!("under Wine: the ACL itself is checked on real Windows only");
            return;
        }
        let sid = current_user_sid().unwrap();
        assert!(sid.starts_with("S-1-"), "{sid}");
        let acl = dacl(&dir);
        // Protected: nothing inherited from the parent, such as Users or Everyone.
        assert!(acl.starts_with("D:P"), "{acl}");
        assert!(acl.contains(&sid), "{acl}");
        for other in [";WD)", ";BU)", ";AU)", ";IU)"] {
            assert!(!acl.contains(other), "{other} in {acl}");
        }
        std::fs::write(dir.join("p.json"), b"{}").unwrap();
        let file = dacl(&dir.join("p.json"));
        assert!(file.contains(&sid), "{file}");
        for other in [";WD)", ";BU)", ";AU)", ";IU)"] {
            assert!(!file.contains(other), "{other} in {file}");
        }
    }

    #[test]
    fn the_users_own_files_are_trusted() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("cache");
        create_private_dir(&dir).unwrap();
        super::super::check_private_dir(&dir, &std::fs::metadata(&dir).unwrap()).unwrap();
        std::fs::write(dir.join("p.json"), b"{}").unwrap();
        let file = File::open(dir.join("p.json")).unwrap();
        assert_eq!(trust_problem(&file, Owner::User).unwrap(), None);
        let dir = super::super::open_dir_nofollow(&dir).unwrap();
        assert_eq!(trust_problem(&dir, Owner::User).unwrap(), None);
    }
}
