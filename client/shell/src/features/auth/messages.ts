export default {
  fr: {
    login: {
      title: 'Connexion',
      email: 'Identifiant (adresse e-mail)',
      password: 'Mot de passe',
      submit: 'Se connecter',
      forgot: 'Mot de passe oublié',
      request: 'Demander la création d’un compte',
      invalid: 'Identifiant ou mot de passe incorrect.',
      remaining: 'Il vous reste {n} tentative(s) avant le blocage de votre compte.',
      locked: 'Votre compte est bloqué pendant 5 minutes après 3 tentatives de connexion erronées. Réessayez après {time}.',
      rateLimited: 'Trop de tentatives. Réessayez dans quelques instants.',
      warning: 'Attention, si vous réalisez 3 tentatives de connexion erronées, votre compte sera bloqué pendant une durée de 5 minutes.',
    },
  },
  en: {
    login: {
      title: 'Log in',
      email: 'Login (e-mail address)',
      password: 'Password',
      submit: 'Log in',
      forgot: 'Forgot password',
      request: 'Request an account',
      invalid: 'Wrong login or password.',
      remaining: '{n} attempt(s) left before your account is locked.',
      locked: 'Your account is locked for 5 minutes after 3 failed attempts. Try again after {time}.',
      rateLimited: 'Too many attempts. Try again in a moment.',
      warning: 'Warning: after 3 failed login attempts, your account is locked for 5 minutes.',
    },
  },
};
