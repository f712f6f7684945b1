import { byId, fill, h } from './dom.js';

export type ConfirmOptions = {
  title: string;
  /** Paragraphs that say exactly what will happen. */
  body: string[];
  confirmLabel: string;
  /** When set, the person must type this before the button works (for what cannot be undone). */
  typeToConfirm?: string;
};

/**
 * Asks before acting, in a modal `<dialog>` (focus moves in and returns, Escape
 * cancels). Resolves true only on the confirm button.
 */
export function confirmAction(options: ConfirmOptions): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
  return new Promise((resolve) => {
    const confirm = h('button', { type: 'submit', class: 'danger', disabled: options.typeToConfirm !== undefined }, options.confirmLabel);
    const cancel = h('button', { type: 'button', onclick: () => dialog.close('cancel') }, 'Cancel');
    const typed =
      options.typeToConfirm === undefined
        ? undefined
        : h('input', {
            id: 'confirm-typed',
            autocomplete: 'off',
            oninput: (event) => {
              confirm.disabled = (event.target as HTMLInputElement).value !== options.typeToConfirm;
            },
          });
    const form = h(
      'form',
      {
        method: 'dialog',
        onsubmit: (event) => {
          event.preventDefault();
          if (!confirm.disabled) dialog.close('confirm');
        },
      },
      h('h2', { id: 'confirm-title' }, options.title),
      options.body.map((text) => h('p', {}, text)),
      typed && [h('label', { for: 'confirm-typed' }, `Type ${options.typeToConfirm} to confirm`), typed],
      h('div', { class: 'actions' }, cancel, confirm),
    );
    fill(dialog, form);
    dialog.returnValue = '';
    dialog.addEventListener(
      'close',
      () => {
        opener?.focus();
        resolve(dialog.returnValue === 'confirm');
      },
      { once: true },
    );
    dialog.showModal();
    (typed ?? cancel).focus();
  });
}
