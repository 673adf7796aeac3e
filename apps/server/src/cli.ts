import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { CreateUserInputSchema, PasswordSchema } from '@ricochet/schema';
import { loadConfig } from './config.ts';
import { openDatabase } from './db/client.ts';
import type { PrismaClient } from './generated/prisma/client.ts';
import { OperatorError, startupFailureMessage } from './operator-error.ts';
import { AppError, parseOrThrow } from './services/errors.ts';
import { setPassword } from './services/sessions.ts';
import { createApiToken, listApiTokens, revokeApiToken } from './services/tokens.ts';
import { createUser, listUsers } from './services/users.ts';

const USAGE = `Usage: ricochet <command>

  start [--api] [--worker]                 run the server (API and delivery worker; flags: only one)

Operator commands; they work on the database the server uses (DATABASE_URL, or the embedded
database in RICOCHET_DATA_DIR), so stop an embedded-database server first.

  users list
  users create <username> [--admin]        prints the user and its first token
  users set-password <username>            reads the new dashboard password from stdin
  tokens list <username>
  tokens create <username> [--name <name>] [--read-only]
  tokens revoke <username> <tokenId>
  migrate                                  apply pending migrations
`;

async function userIdOf(prisma: PrismaClient, username: string | undefined): Promise<string> {
  if (!username) throw new AppError('invalid-input', 'Name the user: <username>.');
  const user = await prisma.user.findUnique({ where: { username } });
  if (!user) throw new OperatorError(`There is no user named ${username}.`);
  return user.id;
}

async function run(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      admin: { type: 'boolean', default: false },
      name: { type: 'string', default: 'cli' },
      'read-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, action, ...rest] = positionals;
  if (values.help || !group) {
    process.stdout.write(USAGE);
    return undefined;
  }
  const config = loadConfig();
  const db = await openDatabase({
    ...(config.DATABASE_URL !== undefined && { databaseUrl: config.DATABASE_URL }),
    dataDir: config.RICOCHET_DATA_DIR,
  });
  try {
    const { prisma } = db;
    switch (`${group} ${action ?? ''}`.trim()) {
      case 'migrate':
        return { migrated: true, database: db.kind };
      case 'users list':
        return await listUsers(prisma);
      case 'users create':
        return await createUser(prisma, {
          input: parseOrThrow(CreateUserInputSchema, { username: rest[0], isAdmin: values.admin }),
        });
      case 'users set-password': {
        // From stdin, not an argument, so the password stays out of shell history and `ps`.
        const userId = await userIdOf(prisma, rest[0]);
        if (process.stdin.isTTY) process.stderr.write(`New password for ${rest[0]} (then Enter, Ctrl-D): `);
        const password = parseOrThrow(
          PasswordSchema,
          (await text(process.stdin)).replace(/\r?\n$/, ''),
          'password',
        );
        await setPassword(prisma, { userId, password });
        return { passwordSet: rest[0] };
      }
      case 'tokens list':
        return await listApiTokens(prisma, { userId: await userIdOf(prisma, rest[0]) });
      case 'tokens create':
        return await createApiToken(prisma, {
          userId: await userIdOf(prisma, rest[0]),
          name: values.name,
          scope: values['read-only'] ? 'READ_ONLY' : 'FULL',
        });
      case 'tokens revoke': {
        if (!rest[1])
          throw new AppError('invalid-input', 'Name the token: tokens revoke <username> <tokenId>.');
        await revokeApiToken(prisma, { userId: await userIdOf(prisma, rest[0]), tokenId: rest[1] });
        return { revoked: rest[1] };
      }
      default:
        throw new AppError('invalid-input', `Unknown command "${positionals.join(' ')}".\n\n${USAGE}`);
    }
  } finally {
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  (result) => {
    if (result !== undefined) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`${startupFailureMessage(error, 'ricochet')}\n`);
    process.exitCode = 1;
  },
);
