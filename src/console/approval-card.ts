import { postToGroup } from '../lib/fleet/group-bot';
import type { ConsoleContext } from './console-context';
import type { UploadMeta } from './uploads';

/**
 * Tells the team's group that a batch waits for a second person: the count, the operation, who
 * asked, and a link to the batch page. Only when the group bot is configured; a failed post is
 * logged, never the request's failure.
 */
export async function tellGroupApprovalAsked(
  ctx: ConsoleContext,
  batchId: string,
  meta: UploadMeta,
  requester: { name: string },
): Promise<void> {
  const { notifyWebhook, notifySecret } = ctx.runtime.config;
  if (!notifyWebhook) return;
  const link = `${ctx.publicUrl()}/batches/${encodeURIComponent(batchId)}`;
  const what = meta.operation === 'terminate' ? '终止投递 terminate' : '创建投递 create';
  try {
    await postToGroup(
      { webhook: notifyWebhook, secret: notifySecret },
      {
        msg_type: 'interactive',
        card: {
          header: {
            template: 'orange',
            title: { tag: 'plain_text', content: `待审批 · awaiting approval: ${batchId}` },
          },
          elements: [
            {
              tag: 'div',
              text: {
                tag: 'lark_md',
                content: `**${meta.valid}** 行 rows · ${what} · ${requester.name} 提交 asked\n[打开批次 · open the batch](${link})`,
              },
            },
          ],
        },
      },
    );
  } catch (error) {
    ctx.logger.warn(
      { batchId, err: (error as Error).message },
      'could not tell the group a batch awaits approval',
    );
  }
}
