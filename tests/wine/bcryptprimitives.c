/* A stand-in for bcryptprimitives.dll under Wine 8 (Debian 12), which lacks ProcessPrng: Rust's
 * std calls it at start on Windows 10 and later. It forwards to RtlGenRandom
 * (advapi32!SystemFunction036), the generator the real ProcessPrng replaced. Tests only: the
 * Windows binary tokex ships is not linked against it. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
