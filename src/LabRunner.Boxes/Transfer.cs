namespace LabRunner.Boxes;

/// <summary>What a box operation is doing, for a progress bar or a log line.</summary>
public enum TransferStage
{
    Downloading,
    Copying,
    Extracting,
    Converting,
    Installing,
}

/// <summary>
/// One progress report: the stage, bytes done and the total when known. <see cref="Resumed"/> is the
/// part that was already on disk when a download resumed (not fetched again), so rates count only new bytes.
/// </summary>
public readonly record struct TransferProgress(string Box, TransferStage Stage, long Done, long? Total, long Resumed = 0);

/// <summary>Receives progress and notes (e.g. "waiting for another lab command", "already installed").</summary>
public interface IBoxReporter
{
    void Progress(TransferProgress progress);

    void Note(string message);
}

/// <summary>Reports nothing.</summary>
public sealed class NullBoxReporter : IBoxReporter
{
    public static readonly NullBoxReporter Instance = new();

    public void Progress(TransferProgress progress) { }

    public void Note(string message) { }
}
