using LabRunner.Core.Labfile;

namespace LabRunner.Guest.Access;

/// <summary>
/// The guest command lines that run provisioners. Each takes the script or file on standard input, so
/// no content ever sits in a command line: it is written to a private temporary file (mktemp, mode
/// 0700), run or copied, and removed whatever happened, and the command exits with the script's code.
/// Every value — arguments, environment values, the destination — is quoted by <see cref="PosixShell"/>.
/// </summary>
public static class ProvisionCommands
{
    /// <summary>Exit code when the temporary file cannot be made (the guest's /tmp is full or read-only).</summary>
    public const int NoTempFile = 125;

    /// <summary>
    /// Runs the script on standard input as its own program (a <c>#!</c> line picks the interpreter;
    /// without one, <c>env</c>'s execvp falls back to /bin/sh), with <paramref name="shell"/>'s arguments and
    /// environment, as root through <c>sudo -n</c> when privileged.
    /// </summary>
    public static string Shell(ShellProvisionerDefinition shell)
    {
        ArgumentNullException.ThrowIfNull(shell);
        var run = new List<string>();
        if (shell.Privileged) run.AddRange(["sudo", "-n", "-H", "--"]);
        run.AddRange(["env", "--"]);
        run.AddRange(shell.Env.Select(e => $"{e.Key}={e.Value}"));
        var command = PosixShell.Join(run) + " \"$t\"";
        if (!shell.Args.IsEmpty) command += " " + PosixShell.Join(shell.Args);
        return Wrap("chmod 700 \"$t\" && " + command);
    }

    /// <summary>
    /// Copies standard input to <paramref name="file"/>'s destination as root: missing folders are made,
    /// an existing file keeps its owner and mode (its content is replaced), a new one gets mode 0644.
    /// </summary>
    public static string File(FileProvisionerDefinition file)
    {
        ArgumentNullException.ThrowIfNull(file);
        // The copy's program text is fixed; the paths reach it only as positional parameters.
        const string copy = "umask 022; d=$(dirname -- \"$2\") && mkdir -p -- \"$d\" && cat -- \"$1\" > \"$2\"";
        return Wrap("sudo -n -- sh -c " + PosixShell.Quote(copy) + " sh \"$t\" " + PosixShell.Quote(file.Destination));
    }

    private static string Wrap(string body) =>
        "t=$(umask 077 && mktemp \"${TMPDIR:-/tmp}/labrunner.XXXXXXXX\") || exit " + NoTempFile + "; " +
        "cat > \"$t\" || { rm -f -- \"$t\"; exit " + NoTempFile + "; }; " +
        body + " </dev/null; rc=$?; rm -f -- \"$t\"; exit $rc";
}
