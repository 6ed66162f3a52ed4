namespace LabRunner.Guest.Access;

/// <summary>
/// The guest command lines of a synced folder's push over SSH. Their program text is fixed; the folder, owner,
/// group and token reach it only as positional parameters quoted by <see cref="PosixShell"/>, and paths to delete
/// and files to write arrive on standard input (NUL-separated names, a tar stream), never in a command line.
/// Everything runs as root through <c>sudo -n</c> (the folder and its owner may be anyone's).
/// </summary>
public sealed class PushCommands(string stateDirectory = PushCommands.DefaultStateDirectory, bool sudo = true)
{
    /// <summary>Where a guest keeps the token of each folder's last push (readable by all: it is no secret).</summary>
    public const string DefaultStateDirectory = "/var/lib/labrunner/sync";

    /// <summary>Exit code when the owner or group does not exist in the guest.</summary>
    public const int NoSuchAccount = 3;

    /// <summary>Exit code when tar is missing in the guest.</summary>
    public const int NoTar = 4;

    public string TokenFile(string key) => stateDirectory + "/" + key;

    /// <summary>Prints the token the folder's last push left (nothing when none did); always exits 0.</summary>
    public string ReadToken(string key) => "cat -- " + PosixShell.Quote(TokenFile(key)) + " 2>/dev/null; exit 0";

    /// <summary>
    /// Removes the NUL-separated paths on standard input (relative to <paramref name="guestPath"/>, never with '..')
    /// inside the folder; a folder that is not there has nothing to remove.
    /// </summary>
    public string Delete(string guestPath) =>
        Root("cd -- \"$1\" 2>/dev/null || exit 0; xargs -0 -r rm -rf --", guestPath);

    /// <summary>
    /// Makes the folder (owned by <paramref name="owner"/>:<paramref name="group"/>), extracts the tar stream on
    /// standard input into it keeping modes, times, links and the owner names the archive gives, then records
    /// <paramref name="token"/> as the folder's last push.
    /// </summary>
    public string Extract(string guestPath, string owner, string group, string key, string token) =>
        Root(
            "command -v tar >/dev/null 2>&1 || { echo 'tar is not installed in the guest' >&2; exit " + NoTar + "; }; " +
            "id -u -- \"$2\" >/dev/null 2>&1 || { echo \"user '$2' does not exist in the guest\" >&2; exit " + NoSuchAccount + "; }; " +
            "getent group \"$3\" >/dev/null 2>&1 || { echo \"group '$3' does not exist in the guest\" >&2; exit " + NoSuchAccount + "; }; " +
            "mkdir -p -- \"$1\" && chown -- \"$2:$3\" \"$1\" && " +
            "tar -x -p --same-owner -f - -C \"$1\" && " +
            "mkdir -p -m 755 -- \"$(dirname -- \"$4\")\" && printf '%s\\n' \"$5\" > \"$4\"",
            guestPath, owner, group, TokenFile(key), token);

    private string Root(string program, params string[] args) =>
        (sudo ? "sudo -n -- " : "") + "sh -c " + PosixShell.Quote(program) + " sh " + PosixShell.Join(args);
}
