import { ref } from 'vue';
import { useI18n } from 'vue-i18n';
import { serverError } from './errors';
import { passwordErrorMessage } from './passwordErrors';
import { useFragmentToken } from './useFragmentToken';

/**
 * What the activation and reset pages share: the single-use token from the link's fragment, a
 * new password sent with it, and the states the page shows (done, link dead, error message).
 */
export function useTokenPassword(send: (vars: { token: string; password: string }) => Promise<unknown>) {
  const { t } = useI18n();
  const { token } = useFragmentToken();
  const done = ref(false);
  const error = ref<string | null>(null);
  const linkDead = ref(!token.value);

  async function submit(password: string): Promise<void> {
    error.value = null;
    try {
      await send({ token: token.value, password });
      done.value = true;
    } catch (e) {
      const err = serverError(e);
      if (err.code === 'INVALID_TOKEN') linkDead.value = true;
      error.value = passwordErrorMessage(t, err);
    }
  }

  return { done, error, linkDead, submit };
}
