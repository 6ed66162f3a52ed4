using LabRunner.Core.Errors;

namespace LabRunner.Boxes;

/// <summary>What went wrong with a box, so the CLI can choose its exit code.</summary>
public enum BoxErrorKind
{
    /// <summary>The request itself is wrong: a bad name, version, checksum or source.</summary>
    Usage,

    /// <summary>No such box (or version) in the store or the catalog.</summary>
    NotFound,

    /// <summary>The download's digest is not the expected one; nothing was installed.</summary>
    ChecksumMismatch,

    /// <summary>The source could not be fetched or read, or is not a box LabRunner can use.</summary>
    Source,

    /// <summary>The box is used by a lab on this machine.</summary>
    InUse,

    /// <summary>A file of the store is damaged: it was moved aside and nothing was done on a guess.</summary>
    Damaged,
}

/// <summary>A box operation that could not be done; the message says why and what to do.</summary>
public sealed class BoxException(BoxErrorKind kind, string message, Exception? inner = null)
    : LabRunnerException(CategoryOf(kind), message, inner)
{
    private static ErrorCategory CategoryOf(BoxErrorKind kind) => kind switch
    {
        BoxErrorKind.Usage or BoxErrorKind.NotFound => ErrorCategory.Usage,
        BoxErrorKind.InUse => ErrorCategory.Conflict,
        _ => ErrorCategory.HostFailure,
    };

    public BoxErrorKind Kind { get; } = kind;
}
