namespace LabRunner.Core.Errors;

/// <summary>
/// What kind of failure a <see cref="LabRunnerException"/> is. The CLI maps each to its documented exit code;
/// the layers that throw know only the kind.
/// </summary>
public enum ErrorCategory
{
    /// <summary>The request is wrong and the user can fix it: a bad option or value, a missing file, an unknown name.</summary>
    Usage,

    /// <summary>The host refused or failed: a command, a file, a connection, a process that could not be started.</summary>
    HostFailure,

    /// <summary>The host or the store is in a state LabRunner will not change on its own (something in use, someone else's object).</summary>
    Conflict,
}

/// <summary>
/// The base of every error LabRunner reports on purpose, whatever the layer. Third-party exceptions (IO, JSON, HTTP,
/// SSH, processes) are caught where they are thrown and become one of these, with the cause kept as the inner
/// exception; anything else that reaches the CLI is a bug.
/// </summary>
public abstract class LabRunnerException : Exception
{
    protected LabRunnerException(ErrorCategory category, string message, Exception? inner = null)
        : base(message, inner)
    {
        Category = category;
    }

    /// <summary>What kind of failure this is (the CLI's exit code follows from it).</summary>
    public ErrorCategory Category { get; }
}
