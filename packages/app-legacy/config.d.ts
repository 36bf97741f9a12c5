export interface Config {
  /** Local demo sign-in of the example portal (development only). */
  demoSignIn?: {
    /**
     * The example users offered on the sign-in page; empty in production.
     * @visibility frontend
     */
    users?: Array<{
      /**
       * The user entity's name in the default namespace.
       * @visibility frontend
       */
      name: string;
      /** @visibility frontend */
      title: string;
      /** @visibility frontend */
      description?: string;
    }>;
  };
}
