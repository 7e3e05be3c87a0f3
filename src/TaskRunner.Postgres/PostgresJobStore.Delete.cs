using static TaskRunner.Postgres.PostgresDatabase;
using V = TaskRunner.Postgres.PostgresValues;

namespace TaskRunner.Postgres;

/// <summary>Deleting one finished job.</summary>
internal sealed partial class PostgresJobStore
{
    // One statement tests the state and deletes, so a job requeued or still running is never deleted.
    public ValueTask<bool> DeleteAsync(JobId id, CancellationToken cancellationToken = default) =>
        _database.RunAsync((id, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.DeleteFinished, V.Long(state.id.Value));
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, cancellationToken);
}
