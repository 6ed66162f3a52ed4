namespace LabRunner.Cli;

/// <summary>The exit codes of <c>lab</c>, documented in the README. Scripts may rely on them.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The Labfile (or a template) has errors; every one was reported.</summary>
    public const int InvalidLabfile = 1;

    /// <summary>Wrong usage: unknown command or option, bad option value, no Labfile where one was expected.</summary>
    public const int Usage = 2;

    /// <summary>The host refused or failed an operation (Hyper-V, WinNAT, PowerShell, file system).</summary>
    public const int HostFailure = 3;

    /// <summary>The host is in a state LabRunner will not change on its own (foreign NetNat, overlapping prefix, port taken).</summary>
    public const int Conflict = 4;

    /// <summary>A bug in LabRunner (EX_SOFTWARE); the message asks for a report.</summary>
    public const int InternalError = 70;

    /// <summary>Interrupted by Ctrl+C; the next command finishes what was started.</summary>
    public const int Interrupted = 130;
}
